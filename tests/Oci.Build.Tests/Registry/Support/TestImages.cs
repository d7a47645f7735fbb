using Oci.Build.Graph;
using System.Security.Cryptography;
using Oci.Build.Store;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>Small images built with the engine itself: a one-layer base, and an app image on top of any base.</summary>
public static class TestImages
{
    public static readonly Platform Linux = Platform.FromRuntimeIdentifier("linux-x64");

    public static ImageSettings Settings(string repository, params string[] tags) => new()
    {
        Repository = repository,
        Tags = tags,
        Platform = Linux,
        Created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
    };

    /// <summary>A base image with one layer holding <paramref name="size"/> random bytes (random: gzip cannot shrink it).</summary>
    public static ImageResult Base(string workDirectory, string layoutPath, string cacheDirectory, int size, string tag = "1")
    {
        var file = Path.Combine(workDirectory, $"base-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(file, RandomNumberGenerator.GetBytes(size));
        return FilesystemImage.Build([LayerEntry.FromFile("opt/base/data.bin", file)], Settings("base", tag), layoutPath, cacheDirectory);
    }

    /// <summary>An app image: <paramref name="baseImage"/> plus one layer with <paramref name="content"/>.</summary>
    public static ImageResult App(BaseImage baseImage, string workDirectory, string layoutPath, string cacheDirectory, string content, params string[] tags)
    {
        var file = Path.Combine(workDirectory, $"app-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, content);
        var builder = new LayerBuilder(new ContentStore(cacheDirectory), LayerCompression.Gzip, new TarSettings(1_700_000_000));
        var layer = builder.Build(new LayerSpec("app", [LayerEntry.FromFile("app/content.txt", file)]));
        return ImageBuilder.Build(baseImage, [layer], Settings("app", tags), layoutPath);
    }

    public static BaseImage FromLayout(string layoutPath, string? tag = null) =>
        new LayoutBaseImageProvider("/").Resolve($"oci:{layoutPath}{(tag is null ? "" : ":" + tag)}", Linux);

    public static Digest ManifestDigest(string layoutPath) => AttachedObjects.Images(OciLayout.Open(layoutPath).Index)[0].Digest;
}
