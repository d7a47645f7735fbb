using System.Security.Cryptography;
using Oci.Build.Store;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>
/// The one builder of test images, made in-process with the engine itself (no publish): one-layer images from files,
/// a random-content base, an app on any base, and the two-stage image the encryption tests use. Tests do not call
/// FilesystemImage or write layouts by hand for an ordinary image; hostile or malformed layouts are written by the
/// tests that need them.
/// </summary>
public static class TestImages
{
    public static readonly Platform Linux = Platform.FromRuntimeIdentifier("linux-x64");

    public static readonly DateTimeOffset Created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    public static ImageSettings Settings(string repository, params string[] tags) => new()
    {
        Repository = repository,
        Tags = tags,
        Platform = Linux,
        Created = Created,
    };

    /// <summary>A one-layer image (on scratch) of the given files.</summary>
    public static ImageResult Files(IReadOnlyList<LayerEntry> entries, ImageSettings settings, string layoutPath, string cacheDirectory) =>
        FilesystemImage.Build(entries, settings, layoutPath, cacheDirectory);

    /// <summary>A base image with one layer holding <paramref name="size"/> random bytes (random: gzip cannot shrink it).</summary>
    public static ImageResult Base(string workDirectory, string layoutPath, string cacheDirectory, int size, string tag = "1")
    {
        var file = Path.Combine(workDirectory, $"base-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(file, RandomNumberGenerator.GetBytes(size));
        return Files([LayerEntry.FromFile("opt/base/data.bin", file)], Settings("base", tag), layoutPath, cacheDirectory);
    }

    /// <summary>An app image: <paramref name="baseImage"/> plus one layer with <paramref name="content"/>.</summary>
    public static ImageResult App(BaseImage baseImage, string workDirectory, string layoutPath, string cacheDirectory, string content, params string[] tags)
    {
        var file = Path.Combine(workDirectory, $"app-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, content);
        return OnBase(baseImage, cacheDirectory, [new LayerSpec("app", [LayerEntry.FromFile("app/content.txt", file)])], Settings("app", tags), layoutPath);
    }

    /// <summary>An image of <paramref name="baseImage"/> plus the given layers, built (and cached) as a publish builds them.</summary>
    public static ImageResult OnBase(BaseImage baseImage, string cacheDirectory, IReadOnlyList<LayerSpec> layers, ImageSettings settings, string layoutPath)
    {
        var builder = new LayerBuilder(new ContentStore(cacheDirectory), LayerCompression.Gzip, new TarSettings(settings.Created.ToUnixTimeSeconds()));
        return ImageBuilder.Build(baseImage, layers.Select(builder.Build).ToList(), settings, layoutPath);
    }

    /// <summary>
    /// A small two-stage image: a one-layer base, then an image on it with two added layers ("app", "data") of random
    /// content, so every test has its own digests (the encryption tests' image).
    /// </summary>
    public static TestImage Layered(TempDirectory temp, string tag = "v1", int dataSize = 300_000)
    {
        var cache = temp.Combine("cache");
        var files = Directory.CreateDirectory(temp.Combine("files")).FullName;
        File.WriteAllText(Path.Combine(files, "base.txt"), "base layer " + Guid.NewGuid());
        File.WriteAllText(Path.Combine(files, "app.txt"), "hello from the app " + Guid.NewGuid());
        File.WriteAllBytes(Path.Combine(files, "data.bin"), RandomNumberGenerator.GetBytes(dataSize));

        var baseLayout = temp.Combine("base");
        Files([LayerEntry.FromFile("etc/base.txt", Path.Combine(files, "base.txt"))], Settings("test/base", "base"), baseLayout, cache);
        using var baseImage = FromLayout(baseLayout, "base");
        var plain = temp.Combine("plain");
        var result = OnBase(baseImage, cache,
        [
            new LayerSpec("app", [LayerEntry.FromFile("app/app.txt", Path.Combine(files, "app.txt"))]),
            new LayerSpec("data", [LayerEntry.FromFile("app/data.bin", Path.Combine(files, "data.bin"))]),
        ], Settings("test/app", tag) with { Entrypoint = ["/app/app"] }, plain);
        var layout = OciLayout.Open(plain);
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(result.Manifest, "manifest"), "manifest");
        return new TestImage(plain, tag, result.Manifest, manifest, baseImage.Layers.Select(l => l.Digest).ToList(),
            result.Layers.Where(l => !l.IsBase).Select(l => l.Descriptor.Digest).ToList(), cache);
    }

    public static BaseImage FromLayout(string layoutPath, string? tag = null) =>
        new LayoutBaseImageProvider("/").Resolve($"oci:{layoutPath}{(tag is null ? "" : ":" + tag)}", Linux);

    /// <summary>The layout's image (past any attached SBOM referrer entry).</summary>
    public static Digest ManifestDigest(string layoutPath) => Graph.AttachedObjects.Images(OciLayout.Open(layoutPath).Index)[0].Digest;
}

/// <summary>The encryption tests' image (<see cref="TestImages.Layered"/>): its plaintext layout and which layers are the base's and which were added.</summary>
public sealed record TestImage(string PlainLayout, string Tag, Descriptor Manifest, ImageManifest ManifestDocument,
    IReadOnlyList<Digest> BaseLayers, IReadOnlyList<Digest> AddedLayers, string CacheDirectory)
{
    public static TestImage Build(TempDirectory temp, string tag = "v1", int dataSize = 300_000) => TestImages.Layered(temp, tag, dataSize);

    public IReadOnlySet<Digest> AddedLayerSet => AddedLayers.ToHashSet();
}
