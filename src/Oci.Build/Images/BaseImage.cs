using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>
/// The image a build starts from: its manifest, its config (kept as JSON so fields this product does not know pass
/// through untouched) and where its blobs can be read. <see cref="Scratch"/> has no layers and no blobs.
/// </summary>
public sealed class BaseImage : IDisposable
{
    private readonly IDisposable? _owner;

    public BaseImage(string? name, Descriptor? manifestDescriptor, ImageManifest? manifest, JsonObject config, IBlobSource? blobs, IDisposable? owner = null)
    {
        Name = name;
        ManifestDescriptor = manifestDescriptor;
        Manifest = manifest;
        Config = config;
        Blobs = blobs;
        _owner = owner;
    }

    /// <summary>The name to record in <c>org.opencontainers.image.base.name</c>; null for scratch and unnamed local bases.</summary>
    public string? Name { get; }

    public Descriptor? ManifestDescriptor { get; }

    public ImageManifest? Manifest { get; }

    public JsonObject Config { get; }

    public IBlobSource? Blobs { get; }

    public IReadOnlyList<Descriptor> Layers => Manifest?.Layers ?? [];

    /// <summary>The same image with its blobs read from elsewhere (<see cref="StoredBaseBlobs"/>); this one still owns what it holds.</summary>
    public BaseImage WithBlobs(IBlobSource? blobs) => new(Name, ManifestDescriptor, Manifest, Config, blobs);

    public static BaseImage Scratch() => new(null, null, null, new JsonObject
    {
        ["config"] = new JsonObject(),
        ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
    }, null);

    public void Dispose() => _owner?.Dispose();
}
