using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Oci.Build.Oci;

/// <summary>
/// The one way this product turns OCI documents into bytes and back. Metadata is source-generated (no reflection). One
/// consequence for every document type: the generated reader passes init-only members to the constructor, a member the
/// JSON leaves out as null or zero, so a member with a default value (schemaVersion 2, a media type) is declared with
/// <c>set</c>, which the reader calls only for members present. Output is compact, properties in declaration order,
/// maps sorted by key (as Go's encoding/json does), so the same document always gives the same digest.
/// </summary>
public static class OciJson
{
    /// <summary>Documents larger than this are refused when read: a manifest or config is a few KiB, never megabytes.</summary>
    public const int MaxDocumentSize = 4 * 1024 * 1024;

    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Go escapes <, > and & in JSON; the relaxed encoder keeps other characters readable. Either is valid JSON;
        // what matters is that we always produce the same bytes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
        // Source-generated metadata, no reflection: dotnet-oci is compiled to native code, and the build's tasks no
        // longer build serializers by reflection at first use.
        TypeInfoResolver = OciJsonContext.Default,
    };

    public static byte[] Serialize<T>(T document) => JsonSerializer.SerializeToUtf8Bytes(document, Options.TypeInfo<T>());

    /// <summary>
    /// These options with the metadata of another concept's documents (each folder declares a source-generated context
    /// for its own): the same escaping and null handling, so their bytes stay what they were.
    /// </summary>
    public static JsonSerializerOptions For(IJsonTypeInfoResolver context, bool indented = false) =>
        new(Options) { TypeInfoResolver = context, WriteIndented = indented };

    /// <summary>The metadata of <typeparamref name="T"/> in <paramref name="options"/> (the typed, reflection-free overloads take it).</summary>
    public static JsonTypeInfo<T> TypeInfo<T>(this JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    public static T Deserialize<T>(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            if (json.Length > MaxDocumentSize)
                throw new OciException(ErrorCodes.InvalidDocument, $"The {what} is larger than {MaxDocumentSize} bytes; refusing it.");
            var document = JsonSerializer.Deserialize(json, Options.TypeInfo<T>())
                ?? throw new OciException(ErrorCodes.InvalidDocument, $"The {what} is empty (JSON null).");
            // Documents from outside become typed values only through the checks of OciDocuments.
            return document switch
            {
                ImageManifest manifest => (T)(object)OciDocuments.Validate(manifest, what),
                ImageIndex index => (T)(object)OciDocuments.Validate(index, what),
                _ => document,
            };
        }
        catch (JsonException ex)
        {
            throw new OciException(ErrorCodes.InvalidDocument, $"The {what} is not a valid OCI document: {ex.Message}", ex);
        }
    }
}

public sealed class DigestJsonConverter : JsonConverter<Digest>
{
    /// <summary>A JSON null is read here too, and refused: a digest is never optional where a document has one.</summary>
    public override bool HandleNull => true;

    public override Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) throw new JsonException("null is not a valid digest.");
        var text = reader.GetString();
        return Digest.TryParse(text, out var digest) ? digest : throw new JsonException($"'{text}' is not a valid digest.");
    }

    public override void Write(Utf8JsonWriter writer, Digest value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();   // HandleNull: a null reaches the converter
        else writer.WriteStringValue(value.ToString());
    }
}

/// <summary>Writes string maps with keys in ordinal order so annotations and labels serialize the same way every time.</summary>
public sealed class SortedStringMapConverter : JsonConverter<IReadOnlyDictionary<string, string>>
{
    public override IReadOnlyDictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("An object of strings was expected.");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            if (!reader.Read() || reader.TokenType != JsonTokenType.String) throw new JsonException($"The value of '{key}' must be a string.");
            // The last of duplicate keys wins, as it did with the serializer's own dictionary reader.
            map[key] = reader.GetString()!;
        }
        return map;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, text) in value.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            writer.WriteString(key, text);
        writer.WriteEndObject();
    }
}

/// <summary>
/// The OCI documents and the small values written with <see cref="OciJson.Options"/>. Other concepts' files (caches, build
/// results, archive indexes) declare their own contexts beside their types.
/// </summary>
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(Descriptor))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
