using Oci.Build.Store;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.MultiPlatform;

/// <summary>The engine half of multi-platform output: runtime identifiers to platforms, and per-platform images to one index.</summary>
public sealed class PlatformIndexBuilderTests : IDisposable
{
    private readonly TempDirectory _temp = new("platform-index");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Runtime_identifiers_map_to_platforms_in_order_and_a_repeated_identifier_counts_once()
    {
        var platforms = PlatformIndexBuilder.PlatformsOf(["linux-x64", " linux-arm64", "linux-arm", "linux-x64"]);
        Assert.Equal(["linux-x64", "linux-arm64", "linux-arm"], platforms.Select(p => p.RuntimeIdentifier));
        Assert.Equal(["linux/amd64", "linux/arm64/v8", "linux/arm/v7"], platforms.Select(p => p.Platform.ToString()));
    }

    [Fact]
    public void Two_runtime_identifiers_of_the_same_platform_are_refused_with_a_code()
    {
        var error = Assert.Throws<OciException>(() => PlatformIndexBuilder.PlatformsOf(["linux-x64", "linux-arm64", "linux-musl-x64"]));
        Assert.Equal(ErrorCodes.DuplicatePlatform, error.Code);
        Assert.Contains("linux-x64 and linux-musl-x64", error.Message);
        Assert.Contains("linux/amd64", error.Message);
    }

    [Fact]
    public void Images_of_two_platforms_become_one_index_under_every_tag_with_shared_blobs_stored_once()
    {
        var cache = _temp.Combine("cache");
        var sharedBase = _temp.Combine("base");
        TestImages.Base(_temp.Path, sharedBase, cache, 64 * 1024);
        var amd64 = _temp.Combine("amd64");
        var arm64 = _temp.Combine("arm64");
        BuildApp(sharedBase, amd64, "linux-x64", cache);
        BuildApp(sharedBase, arm64, "linux-arm64", cache);

        var result = PlatformIndexBuilder.Build("app", ["1", "latest"], [new("linux-x64", amd64), new("linux-arm64", arm64)], _temp.Combine("index"));

        var layout = OciLayout.Open(result.LayoutPath);
        Assert.Equal(["1", "latest"], layout.Tags());
        Assert.All(layout.Index.Manifests, m => Assert.Equal(result.Index.Digest, m.Digest));
        var index = OciJson.Deserialize<ImageIndex>(layout.ReadDocument(result.Index, "index"), "index");
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], index.Manifests.Select(m => m.Platform!.ToString()));
        // Each platform's manifest keeps its digest: it is copied, not rewritten.
        Assert.Equal(OciLayout.Open(amd64).Index.Manifests[0].Digest, index.Manifests[0].Digest);
        Assert.Equal(OciLayout.Open(arm64).Index.Manifests[0].Digest, index.Manifests[1].Digest);
        // The base layer, shared by both, is one blob: 1 base layer + 2 app layers + 2 configs + 2 manifests + the index.
        Assert.Equal(8, Directory.GetFiles(Path.Combine(result.LayoutPath, "blobs", "sha256")).Length);
        Assert.Equal(0, ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci:{result.LayoutPath}:latest").ExitCode);
    }

    [Fact]
    public void An_image_whose_config_is_for_another_platform_than_its_runtime_identifier_is_refused()
    {
        var cache = _temp.Combine("cache");
        var amd64 = _temp.Combine("amd64");
        TestImages.Base(_temp.Path, amd64, cache, 1024);
        var error = Assert.Throws<OciException>(() =>
            PlatformIndexBuilder.Build("app", ["1"], [new("linux-arm64", amd64)], _temp.Combine("index")));
        Assert.Equal(ErrorCodes.InvalidLayout, error.Code);
        Assert.Contains("published for linux-arm64", error.Message);
        Assert.False(Directory.Exists(_temp.Combine("index")));
    }

    /// <summary>An app layer on the shared base, declared for <paramref name="rid"/>'s platform (the bytes need not be that architecture's here).</summary>
    private void BuildApp(string baseLayout, string layoutPath, string rid, string cache)
    {
        using var baseImage = TestImages.FromLayout(baseLayout);
        var file = Path.Combine(_temp.Path, $"{rid}.txt");
        File.WriteAllText(file, $"app for {rid}");
        TestImages.OnBase(baseImage, cache, [new LayerSpec("app", [LayerEntry.FromFile("app/content.txt", file)])],
            TestImages.Settings("app", "1") with { Platform = Platform.FromRuntimeIdentifier(rid) }, layoutPath);
    }
}
