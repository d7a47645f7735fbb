using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>One layer of a finished image, for logs and the summary.</summary>
public sealed record ImageLayerInfo(string Name, Descriptor Descriptor, Digest DiffId, string Origin);

/// <summary>What a build produced: where the layout is, the manifest and config, every layer.</summary>
public sealed record ImageResult
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }
    public required string LayoutPath { get; init; }
    public required Descriptor Manifest { get; init; }
    public required Descriptor Config { get; init; }
    public required IReadOnlyList<ImageLayerInfo> Layers { get; init; }
    public required Platform Platform { get; init; }

    /// <summary>The image's references, one per tag: <c>name:tag</c>.</summary>
    public IEnumerable<string> References => Tags.Select(t => $"{Name}:{t}");
}
