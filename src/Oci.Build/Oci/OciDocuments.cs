using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Oci.Build.Oci;

/// <summary>
/// The one boundary where OCI documents from outside (layouts, archives, registries, base images) become typed values.
/// Everything that comes out of here has been checked: no null where the spec requires a value, no negative sizes,
/// only canonical digests (sha256 or sha512, lowercase, nothing around them), well-formed media types, index entries
/// that are manifests or indexes, a config that is a JSON object with the fields the engine reads in the right types.
/// Everything else is an <see cref="OciException"/> with <see cref="ErrorCodes.InvalidDocument"/> (or
/// <see cref="ErrorCodes.InvalidLayout"/> for the layout marker) naming the field, never a NullReferenceException.
/// <see cref="OciJson.Deserialize{T}"/> routes manifests and indexes through here, so every reader is covered.
/// </summary>
public static partial class OciDocuments
{
    /// <summary>Entries an index may list: more than this is not an image, it is an attack on memory.</summary>
    public const int MaxIndexEntries = 10_000;

    /// <summary>Layers a manifest may list (Docker caps images at 127 layers; the OCI spec sets no limit).</summary>
    public const int MaxLayers = 1_000;

    /// <summary>
    /// How deep indexes may nest below a layout's index.json for the commands that follow them recursively (inspect,
    /// encrypt, decrypt). Real images nest one or two levels; the limit keeps a hostile chain from exhausting the stack.
    /// </summary>
    public const int MaxIndexDepth = 16;

    /// <summary>The coded error for an index chain deeper than <see cref="MaxIndexDepth"/>.</summary>
    public static OciException TooDeep(string where) =>
        new(ErrorCodes.InvalidDocument, $"{where}: image indexes nest more than {MaxIndexDepth} levels deep; refusing it.");

    public static ImageManifest ReadManifest(ReadOnlySpan<byte> json, string what) => OciJson.Deserialize<ImageManifest>(json, what);

    public static ImageIndex ReadIndex(ReadOnlySpan<byte> json, string what) => OciJson.Deserialize<ImageIndex>(json, what);

    /// <summary>An image config: a JSON object whose os, architecture, rootfs, config and history have the spec's types.</summary>
    public static JsonObject ReadConfig(ReadOnlySpan<byte> json, string what)
    {
        if (json.Length > OciJson.MaxDocumentSize) throw Invalid(what, $"is larger than {OciJson.MaxDocumentSize} bytes");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new OciException(ErrorCodes.InvalidDocument, $"The {what} is not valid JSON: {ex.Message}", ex);
        }
        if (node is not JsonObject config) throw Invalid(what, "is not a JSON object");
        OptionalString(config, "os", what);
        OptionalString(config, "architecture", what);
        OptionalString(config, "variant", what);
        OptionalString(config, "created", what);
        if (config["rootfs"] is { } rootfs)
        {
            if (rootfs is not JsonObject rootfsObject) throw Invalid(what, "has a rootfs that is not an object");
            if (rootfsObject["diff_ids"] is { } diffIds)
            {
                if (diffIds is not JsonArray array) throw Invalid(what, "has rootfs.diff_ids that is not an array");
                foreach (var diffId in array)
                {
                    if (diffId is not JsonValue value || !value.TryGetValue<string>(out var text) || !Digest.TryParse(text, out _))
                        throw Invalid(what, $"has a rootfs.diff_ids entry that is not a canonical digest ({Show(diffId)})");
                }
            }
        }
        if (config["config"] is { } runConfig && runConfig is not JsonObject) throw Invalid(what, "has a 'config' that is not an object");
        if (config["history"] is { } history && history is not JsonArray) throw Invalid(what, "has a 'history' that is not an array");
        return config;
    }

    /// <summary>The <c>oci-layout</c> marker file: <c>{"imageLayoutVersion":"1.0.0"}</c>.</summary>
    public static void ReadLayoutMarker(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("imageLayoutVersion", out var version)
                || version.ValueKind != JsonValueKind.String
                || !version.ValueEquals(MediaTypes.OciLayoutVersion))   // compares the raw UTF-8: invalid UTF-8 is simply not equal (fuzzing)
                throw new OciException(ErrorCodes.InvalidLayout, $"'{what}' must be {{\"imageLayoutVersion\":\"{MediaTypes.OciLayoutVersion}\"}}.");
        }
        catch (JsonException ex)
        {
            throw new OciException(ErrorCodes.InvalidLayout, $"'{what}' is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Checks a manifest just deserialized (called by <see cref="OciJson.Deserialize{T}"/>).</summary>
    public static ImageManifest Validate(ImageManifest manifest, string what)
    {
        if (manifest.SchemaVersion != 2) throw Invalid(what, $"has schemaVersion {manifest.SchemaVersion}; only 2 is supported");
        if (manifest.MediaType is not null && !MediaTypes.IsManifest(manifest.MediaType))
            throw Invalid(what, $"declares the media type '{manifest.MediaType}', which is not an image manifest");
        if (manifest.Config is null) throw Invalid(what, "has no config descriptor");
        Validate(manifest.Config, what, "config");
        if (manifest.Layers is null) throw Invalid(what, "has no layers list (null)");
        if (manifest.Layers.Count > MaxLayers) throw Invalid(what, $"lists {manifest.Layers.Count} layers; more than {MaxLayers} are refused");
        for (var i = 0; i < manifest.Layers.Count; i++) Validate(manifest.Layers[i], what, $"layers[{i}]");
        if (manifest.Subject is { } subject) Validate(subject, what, "subject");
        ValidateAnnotations(manifest.Annotations, what, "annotations");
        return manifest;
    }

    /// <summary>Checks an index just deserialized: every entry is a manifest or an index (nothing is silently skipped later).</summary>
    public static ImageIndex Validate(ImageIndex index, string what)
    {
        if (index.SchemaVersion != 2) throw Invalid(what, $"has schemaVersion {index.SchemaVersion}; only 2 is supported");
        if (index.MediaType is not null && !MediaTypes.IsIndex(index.MediaType))
            throw Invalid(what, $"declares the media type '{index.MediaType}', which is not an image index");
        if (index.Manifests is null) throw Invalid(what, "has no manifests list (null)");
        if (index.Manifests.Count > MaxIndexEntries) throw Invalid(what, $"lists {index.Manifests.Count} entries; more than {MaxIndexEntries} are refused");
        for (var i = 0; i < index.Manifests.Count; i++)
        {
            var entry = index.Manifests[i];
            Validate(entry, what, $"manifests[{i}]");
            if (!MediaTypes.IsManifest(entry.MediaType) && !MediaTypes.IsIndex(entry.MediaType))
                throw Invalid(what, $"lists manifests[{i}] of media type '{entry.MediaType}', which is neither an image manifest nor an index");
        }
        if (index.Subject is { } subject) Validate(subject, what, "subject");
        ValidateAnnotations(index.Annotations, what, "annotations");
        return index;
    }

    /// <summary>Checks one descriptor: media type, digest, size, platform and annotations present and well-formed.</summary>
    public static Descriptor Validate(Descriptor? descriptor, string what, string field)
    {
        if (descriptor is null) throw Invalid(what, $"has a null {field}");
        if (descriptor.MediaType is null || !MediaTypePattern().IsMatch(descriptor.MediaType))
            throw Invalid(what, $"has {field}.mediaType {Show(descriptor.MediaType)}, which is not a media type (type/subtype)");
        if (descriptor.Digest is null) throw Invalid(what, $"has no {field}.digest");
        if (descriptor.Size < 0) throw Invalid(what, $"has a negative {field}.size ({descriptor.Size})");
        if (descriptor.Platform is { } platform && (string.IsNullOrEmpty(platform.Os) || string.IsNullOrEmpty(platform.Architecture)))
            throw Invalid(what, $"has a {field}.platform without os or architecture");
        if (descriptor.Urls is { } urls && urls.Any(u => u is null)) throw Invalid(what, $"has a null entry in {field}.urls");
        ValidateAnnotations(descriptor.Annotations, what, $"{field}.annotations");
        return descriptor;
    }

    private static void ValidateAnnotations(IReadOnlyDictionary<string, string>? annotations, string what, string field)
    {
        if (annotations is null) return;
        foreach (var (key, value) in annotations)
        {
            if (value is null) throw Invalid(what, $"has a null value for {field}['{key}']");
        }
    }

    private static void OptionalString(JsonObject node, string name, string what)
    {
        if (node[name] is { } value && (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
            throw Invalid(what, $"has a '{name}' that is not a string ({Show(value)})");
    }

    private static string Show(object? value)
    {
        var text = value switch { null => "null", JsonNode n => n.ToJsonString(), _ => $"'{value}'" };
        return text.Length <= 60 ? text : text[..60] + "...";
    }

    private static OciException Invalid(string what, string problem) =>
        new(ErrorCodes.InvalidDocument, $"The {what} {problem}. It is not a valid OCI document; nothing was used.");

    // RFC 6838 restricted names: type "/" subtype, with the characters the OCI spec's schema allows.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\z")]
    private static partial Regex MediaTypePattern();
}
