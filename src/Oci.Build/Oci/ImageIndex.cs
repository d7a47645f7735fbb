using System.Text.Json.Serialization;

namespace Oci.Build.Oci;

/// <summary>An OCI image index (also the shape of a layout's index.json and of a Docker manifest list).</summary>
public sealed record ImageIndex
{
    [JsonPropertyName("schemaVersion"), JsonPropertyOrder(0)]
    public int SchemaVersion { get; init; } = 2;

    [JsonPropertyName("mediaType"), JsonPropertyOrder(1)]
    public string? MediaType { get; init; } = MediaTypes.OciIndex;

    [JsonPropertyName("artifactType"), JsonPropertyOrder(2)]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("manifests"), JsonPropertyOrder(3)]
    public required IReadOnlyList<Descriptor> Manifests { get; init; }

    [JsonPropertyName("subject"), JsonPropertyOrder(4)]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations"), JsonPropertyOrder(5), JsonConverter(typeof(SortedStringMapConverter))]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
