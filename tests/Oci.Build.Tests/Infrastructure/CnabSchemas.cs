using NJsonSchema;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>
/// The CNAB JSON schemas from schemas/cnab in this repository, used to check bundles independently of the product's own
/// validator. bundle.schema.json refers to the JSON Schema draft-07 meta-schema by URL; nothing here may go to the network, so
/// those references are replaced by what they say: `#/properties/description` is a string, `#` (a schema) is an object or a
/// boolean.
/// </summary>
public static class CnabSchemas
{
    private static readonly Dictionary<string, JsonSchema> Cache = [];

    public static JsonSchema Load(string fileName)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(fileName, out var schema))
            {
                var path = Path.Combine(RepoPaths.CnabSchemas, fileName);
                var text = File.ReadAllText(path)
                    .Replace("\"$ref\": \"http://json-schema.org/draft-07/schema#/properties/description\"", "\"type\": \"string\"")
                    .Replace("\"$ref\": \"http://json-schema.org/draft-07/schema#\"", "\"type\": [\"object\", \"boolean\"]");
                schema = JsonSchema.FromJsonAsync(text, path).GetAwaiter().GetResult();
                Cache[fileName] = schema;
            }
            return schema;
        }
    }

    /// <summary>Validation errors of <paramref name="json"/> against the schema (empty when valid).</summary>
    public static IReadOnlyList<string> Validate(string fileName, string json) =>
        Load(fileName).Validate(json).Select(e => $"{e.Path}: {e.Kind} {e.Property}").ToList();

    public const string Bundle = "bundle.schema.json";
    public const string RelocationMapping = "relocation-mapping.schema.json";
}
