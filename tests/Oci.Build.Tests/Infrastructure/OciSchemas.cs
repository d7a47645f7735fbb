using NJsonSchema;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>The OCI image-spec JSON schemas from schemas/oci-image-spec in this repository, loaded from files (their relative $refs resolve locally).</summary>
public static class OciSchemas
{
    private static readonly Dictionary<string, JsonSchema> Cache = [];

    public static JsonSchema Load(string fileName)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(fileName, out var schema))
            {
                var path = Path.Combine(RepoPaths.OciSchemas, fileName);
                schema = JsonSchema.FromFileAsync(path).GetAwaiter().GetResult();
                Cache[fileName] = schema;
            }
            return schema;
        }
    }

    /// <summary>Validation errors of <paramref name="json"/> against the schema (empty when valid).</summary>
    public static IReadOnlyList<string> Validate(string fileName, string json) =>
        Load(fileName).Validate(json).Select(e => $"{e.Path}: {e.Kind} {e.Property}").ToList();

    public const string Manifest = "image-manifest-schema.json";
    public const string Index = "image-index-schema.json";
    public const string Config = "config-schema.json";
    public const string Layout = "image-layout-schema.json";
}
