using System.Text.Json.Serialization;

namespace Oci.Build.Oci;

/// <summary>An OCI image manifest. Docker v2 schema 2 manifests read into the same shape.</summary>
public sealed record ImageManifest
{
    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("schemaVersion"), JsonPropertyOrder(0)]
    public int SchemaVersion { get; set; } = 2;

    // set, not init: a document that leaves the member out keeps this default (see OciJson).
    [JsonPropertyName("mediaType"), JsonPropertyOrder(1)]
    public string? MediaType { get; set; } = MediaTypes.OciManifest;

    [JsonPropertyName("artifactType"), JsonPropertyOrder(2)]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("config"), JsonPropertyOrder(3)]
    public required Descriptor Config { get; init; }

    [JsonPropertyName("layers"), JsonPropertyOrder(4)]
    public required IReadOnlyList<Descriptor> Layers { get; init; }

    [JsonPropertyName("subject"), JsonPropertyOrder(5)]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations"), JsonPropertyOrder(6), JsonConverter(typeof(SortedStringMapConverter))]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
