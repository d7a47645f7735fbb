using System.Text.Json.Serialization;

namespace Oci.Build.Oci;

/// <summary>An OCI image index (also the shape of a layout's index.json and of a Docker manifest list).</summary>
public sealed record ImageIndex
{
    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("schemaVersion"), JsonPropertyOrder(0)]
    public int SchemaVersion { get; set; } = 2;

    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("mediaType"), JsonPropertyOrder(1)]
    public string? MediaType { get; set; } = MediaTypes.OciIndex;

    [JsonPropertyName("artifactType"), JsonPropertyOrder(2)]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("manifests"), JsonPropertyOrder(3)]
    public required IReadOnlyList<Descriptor> Manifests { get; init; }

    [JsonPropertyName("subject"), JsonPropertyOrder(4)]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations"), JsonPropertyOrder(5), JsonConverter(typeof(SortedStringMapConverter))]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
