using System.Text.Json.Serialization;

namespace Oci.Build.Oci;

/// <summary>An OCI content descriptor: what a blob is, its digest and its size.</summary>
public sealed record Descriptor
{
    [JsonPropertyName("mediaType"), JsonPropertyOrder(0)]
    public required string MediaType { get; init; }

    [JsonPropertyName("digest"), JsonPropertyOrder(1)]
    public required Digest Digest { get; init; }

    [JsonPropertyName("size"), JsonPropertyOrder(2)]
    public required long Size { get; init; }

    [JsonPropertyName("urls"), JsonPropertyOrder(3)]
    public IReadOnlyList<string>? Urls { get; init; }

    [JsonPropertyName("annotations"), JsonPropertyOrder(4), JsonConverter(typeof(SortedStringMapConverter))]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    [JsonPropertyName("platform"), JsonPropertyOrder(5)]
    public Platform? Platform { get; init; }

    [JsonPropertyName("artifactType"), JsonPropertyOrder(6)]
    public string? ArtifactType { get; init; }

    public string? Annotation(string key) => Annotations is not null && Annotations.TryGetValue(key, out var value) ? value : null;

    public Descriptor WithAnnotation(string key, string value)
    {
        var annotations = Annotations is null ? new Dictionary<string, string>() : new Dictionary<string, string>(Annotations);
        annotations[key] = value;
        return this with { Annotations = annotations };
    }

    public override string ToString() => $"{MediaType} {Digest} ({Size} bytes)";
}
