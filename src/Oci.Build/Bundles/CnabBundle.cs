using System.Text.Json;
using System.Text.Json.Serialization;

namespace Oci.Build.Bundles;

/// <summary>
/// A CNAB core 1.x bundle descriptor (bundle.json): the release's name and version and every image it runs, each pinned by
/// digest. Only what this tool writes is modelled; anything else read from a bundle (parameters, credentials, actions,
/// outputs, ...) is kept in <see cref="Other"/> so validation can see it and nothing is lost.
/// </summary>
public sealed record CnabBundle
{
    /// <summary>What cnab-go writes today; Porter accepts 1.0.0 to 1.2.0.</summary>
    public const string CurrentSchemaVersion = "1.2.0";

    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("schemaVersion")]
    public string SchemaVersion { get; set; } = CurrentSchemaVersion;

    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    [JsonPropertyName("keywords")]
    public IReadOnlyList<string>? Keywords { get; init; }

    [JsonPropertyName("maintainers")]
    public IReadOnlyList<CnabMaintainer>? Maintainers { get; init; }

    [JsonPropertyName("invocationImages")]
    public required IReadOnlyList<CnabImage> InvocationImages { get; init; }

    /// <summary>Component name -> image. Serialized sorted (canonical JSON sorts every object).</summary>
    [JsonPropertyName("images")]
    public IReadOnlyDictionary<string, CnabImage>? Images { get; init; }

    [JsonPropertyName("custom")]
    public IReadOnlyDictionary<string, JsonElement>? Custom { get; init; }

    [JsonPropertyName("requiredExtensions")]
    public IReadOnlyList<string>? RequiredExtensions { get; init; }

    // A setter, not init: the source-generated serializer fills init-only members through the constructor, and
    // extension data cannot be filled that way.
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; set; }

    /// <summary>Every image of the bundle: invocation images first, then components by name.</summary>
    public IEnumerable<(string Role, CnabImage Image)> AllImages()
    {
        for (var i = 0; i < InvocationImages.Count; i++) yield return ($"invocationImages[{i}]", InvocationImages[i]);
        foreach (var (name, image) in (Images ?? new Dictionary<string, CnabImage>()).OrderBy(pair => pair.Key, StringComparer.Ordinal))
            yield return ($"images.{name}", image);
    }
}

/// <summary>
/// An invocation image or component image entry. cnab-go always writes <c>imageType</c> and <c>description</c>, even empty;
/// writing the same keeps the bundle's bytes (and digest) the same whichever tool re-serializes it.
/// </summary>
public sealed record CnabImage
{
    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("imageType")]
    public string ImageType { get; set; } = "oci";

    /// <summary>A digest reference: <c>[registry/]repository[:tag]@sha256:...</c>.</summary>
    [JsonPropertyName("image")]
    public required string Image { get; init; }

    /// <summary>The digest of the manifest or index <see cref="Image"/> names.</summary>
    [JsonPropertyName("contentDigest")]
    public string? ContentDigest { get; init; }

    /// <summary>The manifest or index descriptor's size (what cnab-go and cnab-to-oci write), not the size of the image's layers.</summary>
    [JsonPropertyName("size")]
    public long? Size { get; init; }

    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; }

    [JsonPropertyName("labels")]
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("description")]
    public string Description { get; set; } = "";
}

public sealed record CnabMaintainer
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("email")]
    public string? Email { get; init; }

    [JsonPropertyName("url")]
    public string? Url { get; init; }
}
