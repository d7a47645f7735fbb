using System.Text.Json.Serialization;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>One layer of a finished image: its name (<c>base</c> for the base image's layers), descriptor, diff_id and origin (base, built, reused).</summary>
public sealed record ImageLayerInfo(string Name, Descriptor Descriptor, Digest DiffId, string Origin)
{
    /// <summary>A layer of the base image (not one this build added).</summary>
    public bool IsBase => Origin == "base";
}

/// <summary>
/// What a build produced, as data: where the layout is, the manifest and config, every layer with its name and role.
/// The steps after the build (SBOM, summary, push) take this instead of re-reading the layout; between MSBuild tasks it
/// travels as a small JSON file (<see cref="BuildResultFile"/>).
/// </summary>
public sealed record ImageResult
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }
    public required string LayoutPath { get; init; }
    public required Descriptor Manifest { get; init; }
    public required Descriptor Config { get; init; }
    public required IReadOnlyList<ImageLayerInfo> Layers { get; init; }
    public required Platform Platform { get; init; }
    /// <summary>The base image's name and manifest digest as the manifest's annotations say them (null: no such annotation, e.g. Docker format).</summary>
    public string? BaseName { get; init; }
    public string? BaseDigest { get; init; }
    /// <summary>
    /// When layers are encrypted: the digest of the same manifest with the plaintext layers, which decrypting the image
    /// gives back byte for byte (null: nothing is encrypted).
    /// </summary>
    public string? PlaintextManifestDigest { get; init; }

    /// <summary>True when any layer of the image is stored encrypted.</summary>
    [JsonIgnore] public bool Encrypted => PlaintextManifestDigest is not null;

    /// <summary>The image's references, one per tag: <c>name:tag</c>.</summary>
    public IEnumerable<string> References => Tags.Select(t => $"{Name}:{t}");
}
