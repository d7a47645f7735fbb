using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>One platform's image inside a multi-platform index: the runtime identifier it was published for and its manifest.</summary>
public sealed record PlatformManifest(string RuntimeIdentifier, Platform Platform, Descriptor Manifest, Digest Config);

/// <summary>What combining per-platform images produced: the layout holding one OCI image index under every tag.</summary>
public sealed record ImageIndexResult
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }
    public required string LayoutPath { get; init; }
    /// <summary>The index itself (what every tag names).</summary>
    public required Descriptor Index { get; init; }
    public required IReadOnlyList<PlatformManifest> Platforms { get; init; }

    public IEnumerable<string> References => Tags.Select(t => $"{Name}:{t}");
}
