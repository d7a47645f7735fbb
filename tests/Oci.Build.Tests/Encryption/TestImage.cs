using System.Security.Cryptography;
using Oci.Build.Store;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>
/// A small two-stage image built in-process with the engine (no publish): a one-layer base image, then an image on it
/// with two added layers ("app", "data") of random content, so every test has its own digests.
/// </summary>
public sealed record TestImage(string PlainLayout, string Tag, Descriptor Manifest, ImageManifest ManifestDocument,
    IReadOnlyList<Digest> BaseLayers, IReadOnlyList<Digest> AddedLayers, string CacheDirectory)
{
    public static TestImage Build(TempDirectory temp, string tag = "v1", int dataSize = 300_000)
    {
        var cache = temp.Combine("cache");
        var files = Directory.CreateDirectory(temp.Combine("files")).FullName;
        File.WriteAllText(Path.Combine(files, "base.txt"), "base layer " + Guid.NewGuid());
        File.WriteAllText(Path.Combine(files, "app.txt"), "hello from the app " + Guid.NewGuid());
        File.WriteAllBytes(Path.Combine(files, "data.bin"), RandomNumberGenerator.GetBytes(dataSize));

        var platform = Platform.FromRuntimeIdentifier("linux-x64");
        var created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var baseLayout = temp.Combine("base");
        FilesystemImage.Build([LayerEntry.FromFile("etc/base.txt", Path.Combine(files, "base.txt"))],
            new ImageSettings { Repository = "test/base", Tags = ["base"], Platform = platform, Created = created }, baseLayout, cache);

        using var baseImage = new LayoutBaseImageProvider(temp.Path).Resolve($"oci:{baseLayout}:base", platform);
        var builder = new LayerBuilder(new ContentStore(cache), LayerCompression.Gzip, new TarSettings(created.ToUnixTimeSeconds()));
        var layers = new[]
        {
            builder.Build(new LayerSpec("app", [LayerEntry.FromFile("app/app.txt", Path.Combine(files, "app.txt"))])),
            builder.Build(new LayerSpec("data", [LayerEntry.FromFile("app/data.bin", Path.Combine(files, "data.bin"))])),
        };
        var plain = temp.Combine("plain");
        var result = ImageBuilder.Build(baseImage, layers,
            new ImageSettings { Repository = "test/app", Tags = [tag], Platform = platform, Created = created, Entrypoint = ["/app/app"] }, plain);
        var layout = OciLayout.Open(plain);
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(result.Manifest, "manifest"), "manifest");
        return new TestImage(plain, tag, result.Manifest, manifest, baseImage.Layers.Select(l => l.Digest).ToList(),
            layers.Select(l => l.Descriptor.Digest).ToList(), cache);
    }

    public IReadOnlySet<Digest> AddedLayerSet => AddedLayers.ToHashSet();
}

/// <summary>Reads a layout's single image for assertions.</summary>
public static class LayoutAssert
{
    public static (Descriptor Entry, ImageManifest Manifest) ReadImage(string layoutPath, string? tag = null)
    {
        var layout = OciLayout.Open(layoutPath);
        var entry = layout.FindManifest(tag);
        return (entry, OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "manifest"), "manifest"));
    }

    /// <summary>The image in <paramref name="layoutPath"/> has exactly the config and layers (digest, size, type) of <paramref name="expected"/>.</summary>
    public static void SameImage(ImageManifest expected, string layoutPath, string? tag = null)
    {
        var (_, actual) = ReadImage(layoutPath, tag);
        Assert.Equal(expected.Config.Digest, actual.Config.Digest);
        Assert.Equal(expected.Layers.Select(l => (l.Digest, l.Size, l.MediaType)), actual.Layers.Select(l => (l.Digest, l.Size, l.MediaType)));
        var layout = OciLayout.Open(layoutPath);
        foreach (var layer in actual.Layers)
        {
            using var stream = layout.OpenBlob(layer); // verifies the content against its digest
            stream.CopyTo(Stream.Null);
        }
    }

    /// <summary>No blob file in the layout has the digest of a plaintext layer that should be encrypted.</summary>
    public static void HasNoBlob(string layoutPath, IEnumerable<Digest> digests)
    {
        var present = Directory.EnumerateFiles(Path.Combine(layoutPath, "blobs"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToHashSet();
        foreach (var digest in digests) Assert.DoesNotContain(digest.Hex, present);
    }
}
