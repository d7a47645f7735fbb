using Oci.Build.Store;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// Multi-platform bases from a registry (the shape of mcr.microsoft.com/dotnet/runtime-deps): the platform's manifest is
/// read through /manifests/&lt;digest&gt;, attestations are skipped, variants are honoured, nested indexes are followed.
/// </summary>
public sealed class MultiPlatformBaseTests
{
    [Theory]
    [InlineData(MultiPlatformBase.Shape.DockerManifestList)]
    [InlineData(MultiPlatformBase.Shape.OciIndex)]
    [InlineData(MultiPlatformBase.Shape.NestedOciIndex)]
    public void Each_platform_resolves_to_its_own_manifest_fetched_through_the_manifests_endpoint(MultiPlatformBase.Shape shape)
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        var amd64 = harness.Combine("amd64");
        TestImages.Base(harness.Work, amd64, harness.Combine("build-cache"), 16 * 1024);
        var pushed = MultiPlatformBase.Push(registry, amd64, shape);

        foreach (var (rid, platform) in new[] { ("linux-x64", "linux/amd64"), ("linux-arm64", "linux/arm64/v8"), ("linux-arm", "linux/arm/v7") })
        {
            using var image = harness.Pull(pushed.Reference, platform: Platform.FromRuntimeIdentifier(rid));
            Assert.Equal(pushed.Manifests[platform].Digest, image.ManifestDescriptor!.Digest);
            Assert.Equal(pushed.Manifests[platform].MediaType, image.ManifestDescriptor.MediaType);
            Assert.Equal(platform.Split('/')[1], image.Config["architecture"]!.GetValue<string>());
            Assert.All(image.Layers, l => Assert.True(File.Exists(harness.ContentStore.BlobPath(l.Digest))));
        }

        var log = registry.WaitForLog($"/manifests/{pushed.Manifests["linux/arm/v7"].Digest}", 0);
        foreach (var manifest in pushed.Manifests.Values)
        {
            Assert.Contains($"GET /v2/dotnet/runtime-deps/manifests/{manifest.Digest}", log);
            Assert.DoesNotContain($"/blobs/{manifest.Digest}", log);
        }
        // Attestations are never selected, so never fetched (the fixture's own PUTs are in the log too).
        var gets = string.Join('\n', log.Split('\n').Where(line => line.Contains("\"GET /v2/", StringComparison.Ordinal)));
        Assert.Contains($"/manifests/{pushed.Manifests["linux/amd64"].Digest}", gets);
        Assert.All(pushed.Attestations, a => Assert.DoesNotContain(a.Digest.ToString(), gets));
    }

    [Fact]
    public void A_platform_the_base_lacks_is_a_coded_error_listing_what_it_offers_without_attestations()
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        var amd64 = harness.Combine("amd64");
        TestImages.Base(harness.Work, amd64, harness.Combine("build-cache"), 16 * 1024);
        var pushed = MultiPlatformBase.Push(registry, amd64, MultiPlatformBase.Shape.DockerManifestList);

        var error = Assert.Throws<OciException>(() => harness.Pull(pushed.Reference, platform: Platform.FromRuntimeIdentifier("linux-s390x")));
        Assert.Equal(ErrorCodes.ImageNotFound, error.Code);
        Assert.Contains("linux/s390x", error.Message);
        Assert.Contains("linux/amd64, linux/arm64/v8, linux/arm/v7", error.Message);
        Assert.DoesNotContain("unknown", error.Message);
    }

    [Fact]
    public void A_pinned_multi_platform_base_builds_offline_once_pulled()
    {
        using var harness = new EngineHarness();
        string reference;
        Digest amd64Manifest;
        using (var registry = new RegistryServer())
        {
            var amd64 = harness.Combine("amd64");
            TestImages.Base(harness.Work, amd64, harness.Combine("build-cache"), 16 * 1024);
            var pushed = MultiPlatformBase.Push(registry, amd64, MultiPlatformBase.Shape.OciIndex);
            reference = $"{registry.Host}/dotnet/runtime-deps:10.0@{pushed.Index.Digest}";
            amd64Manifest = pushed.Manifests["linux/amd64"].Digest;
            using var online = harness.Pull(reference);
            Assert.Equal(amd64Manifest, online.ManifestDescriptor!.Digest);
        }
        // The registry is gone: index, child manifest, config and layers all come from the cache.
        using var offline = harness.Pull(reference);
        Assert.Equal(amd64Manifest, offline.ManifestDescriptor!.Digest);
    }

    [Fact]
    public void A_multi_platform_base_in_a_layout_or_an_archive_selects_the_platform_the_same_way()
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        var amd64 = harness.Combine("amd64");
        TestImages.Base(harness.Work, amd64, harness.Combine("build-cache"), 16 * 1024);
        var pushed = MultiPlatformBase.Push(registry, amd64, MultiPlatformBase.Shape.OciIndex);
        var layout = harness.Combine("layout");
        var archive = harness.Combine("base.tar");
        // skopeo (an independent writer) copies the whole index, attestations included, into a layout and an archive.
        ProcessRunner.Run("skopeo", "copy", "--all", "--preserve-digests", "--src-tls-verify=false", $"docker://{pushed.Reference}", $"oci:{layout}:10.0").EnsureSuccess("skopeo copy to a layout");
        ProcessRunner.Run("skopeo", "copy", "--all", "--preserve-digests", "--src-tls-verify=false", $"docker://{pushed.Reference}", $"oci-archive:{archive}:10.0").EnsureSuccess("skopeo copy to an archive");

        var resolver = new global::Oci.Build.Images.BaseImageResolver([
            new global::Oci.Build.Images.LayoutBaseImageProvider("/"),
            new global::Oci.Build.Images.ArchiveBaseImageProvider("/")]);
        foreach (var spec in new[] { $"oci:{layout}:10.0", $"oci-archive:{archive}:10.0" })
        {
            using var arm = resolver.Resolve(spec, Platform.FromRuntimeIdentifier("linux-arm"));
            Assert.Equal(pushed.Manifests["linux/arm/v7"].Digest, arm.ManifestDescriptor!.Digest);
            using var x64 = resolver.Resolve(spec, Platform.FromRuntimeIdentifier("linux-x64"));
            Assert.Equal(pushed.Manifests["linux/amd64"].Digest, x64.ManifestDescriptor!.Digest);
            var missing = Assert.Throws<OciException>(() => resolver.Resolve(spec, Platform.FromRuntimeIdentifier("linux-s390x")));
            Assert.Equal(ErrorCodes.ImageNotFound, missing.Code);
        }
    }
}
