using System.Security.Cryptography;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Store;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

/// <summary>A local base image (an <c>oci:</c> layout): its layers are stored once and linked into every image built on it.</summary>
public sealed class StoredBaseBlobsTests
{
    [Fact]
    public void A_local_base_layer_is_copied_into_the_cache_once_and_the_layout_links_it_from_there_on_every_publish()
    {
        using var temp = new TempDirectory("stored-base");
        var baseImage = TestImages.Base(temp.Path, temp.Combine("base"), temp.Combine("base-cache"), size: 50_000);
        var baseLayer = baseImage.Layers.Single().Descriptor;
        var publish = temp.Combine("publish");
        Directory.CreateDirectory(publish);
        File.WriteAllBytes(Path.Combine(publish, "app.dll"), RandomNumberGenerator.GetBytes(10_000));
        var request = new ImagePublishRequest
        {
            PublishDirectory = publish,
            ClassifiedFiles = new Dictionary<string, PublishedFileKind>(),
            BaseImage = "oci:base:1",
            BaseDirectory = temp.Path,
            Settings = TestImages.Settings("team/app", "latest"),
            LayoutPath = temp.Combine("out"),
            CacheDirectory = temp.Combine("cache"),
        };
        var publisher = new ImagePublisher(NullBuildLog.Instance);
        var store = new ContentStore(request.CacheDirectory);
        string Stat(string format, string path) => ProcessRunner.Run("stat", "-c", format, path).EnsureSuccess("stat").StandardOutput.Trim();
        string InLayout() => Path.Combine(request.LayoutPath, "blobs", "sha256", baseLayer.Digest.Hex);

        var first = publisher.Publish(request);
        Assert.True(store.Has(baseLayer.Digest, baseLayer.Size));
        Assert.Equal(Stat("%i", store.BlobPath(baseLayer.Digest)), Stat("%i", InLayout()));   // one file: linked, not copied
        Assert.Equal(baseLayer.Digest, Digest.OfFile(InLayout()));

        // A republish does not read the base's layer again: without it in the base layout, the image is the same.
        File.Delete(Path.Combine(temp.Combine("base"), "blobs", "sha256", baseLayer.Digest.Hex));
        var second = publisher.Publish(request with { LayoutPath = temp.Combine("out2") });
        Assert.Equal(first.Manifest.Digest, second.Manifest.Digest);
        Assert.Equal(Stat("%i", store.BlobPath(baseLayer.Digest)), Stat("%i", Path.Combine(second.LayoutPath, "blobs", "sha256", baseLayer.Digest.Hex)));

        // With another cache, the missing layer is a coded error, and nothing is written.
        var missing = Assert.Throws<OciException>(() => publisher.Publish(request with { CacheDirectory = temp.Combine("cache2"), LayoutPath = temp.Combine("out3") }));
        Assert.StartsWith("OCI1", missing.Code);
        Assert.False(Directory.Exists(temp.Combine("out3")));
    }
}
