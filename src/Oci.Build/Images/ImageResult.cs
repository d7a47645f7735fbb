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
/// The steps after the build (encryption, summary) take this instead of re-reading the layout; between MSBuild tasks it
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

    /// <summary>The image's references, one per tag: <c>name:tag</c>.</summary>
    public IEnumerable<string> References => Tags.Select(t => $"{Name}:{t}");

    /// <summary>
    /// The same image after its layers were rewritten (encrypted) into another layout: the new manifest, and each layer's
    /// new descriptor where <paramref name="rewritten"/> has one (by old digest). Names and roles stay.
    /// </summary>
    public ImageResult Rewritten(string layoutPath, Descriptor manifest, IReadOnlyDictionary<Digest, Descriptor> rewritten) => this with
    {
        LayoutPath = layoutPath,
        Manifest = manifest,
        Layers = Layers.Select(l => rewritten.TryGetValue(l.Descriptor.Digest, out var d) ? l with { Descriptor = d } : l).ToList(),
    };
}
