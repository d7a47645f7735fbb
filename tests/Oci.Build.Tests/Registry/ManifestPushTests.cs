using System.Collections.Concurrent;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Sbom;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;
using Oci.Build.Tests.Sbom;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// How a push writes its manifests to a real docker-registry (seen through a <see cref="FaultProxy"/> that holds requests
/// back to see what else is already on its way): each reference is looked up while the blobs still move, then the
/// manifests go at the same time, each after the documents it names.
/// </summary>
public sealed class ManifestPushTests
{
    /// <summary>How long the proxy holds a request for another one to arrive; only reached when the other never comes.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public void Manifests_are_looked_up_while_blobs_upload_then_put_together_each_after_what_it_names()
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        using var proxy = new FaultProxy(registry.Host);
        var (layout, image) = AppImageWithSbom(harness);
        var referrersTag = AttachedObjects.ReferrersTag(image.Digest);
        var sbom = OciLayout.Open(layout).FindManifest(referrersTag);
        var sbomManifest = OciJson.Deserialize<ImageIndex>(OciLayout.Open(layout).ReadDocument(sbom, "index"), "index").Manifests.Single().Digest;
        var references = new[] { "1.0", "latest", sbomManifest.ToString(), referrersTag };

        var heads = new ConcurrentDictionary<string, int>();
        var headsBeforeBlobsLanded = new CountdownEvent(references.Length);
        var tagPuts = new CountdownEvent(2);
        var blobUploadsHeld = 0;
        var tagPutsTogether = true;
        var outOfOrder = new ConcurrentQueue<string>();
        string Reference(ProxiedRequest request) => request.Path[(request.Path.IndexOf("/manifests/", StringComparison.Ordinal) + "/manifests/".Length)..];
        bool Landed(string reference) => proxy.Exchanges.Any(e => e == $"PUT /v2/app/pushed/manifests/{reference} -> 201");
        proxy.Rule = request =>
        {
            if (request.Method == "HEAD" && request.Path.Contains("/manifests/", StringComparison.Ordinal))
            {
                if (heads.AddOrUpdate(Reference(request), 1, (_, n) => n + 1) == 1 && !headsBeforeBlobsLanded.IsSet) headsBeforeBlobsLanded.Signal();
            }
            else if (request.Method == "PUT" && request.Path.Contains("/blobs/uploads/", StringComparison.Ordinal))
            {
                // The blob's last request waits until every manifest's lookup has come: they are asked while blobs move.
                Interlocked.Increment(ref blobUploadsHeld);
                headsBeforeBlobsLanded.Wait(Patience);
            }
            else if (request.Method == "PUT" && Reference(request) is "1.0" or "latest")
            {
                // Each tag's PUT waits for the other's: both are on their way at once.
                tagPuts.Signal();
                tagPutsTogether &= tagPuts.Wait(Patience);
            }
            else if (request.Method == "PUT" && Reference(request) == sbomManifest.ToString())
            {
                if (!Landed("1.0") || !Landed("latest")) outOfOrder.Enqueue("the SBOM before its subject");
            }
            else if (request.Method == "PUT" && Reference(request) == referrersTag)
            {
                if (!Landed(sbomManifest.ToString())) outOfOrder.Enqueue("the referrers index before the SBOM it lists");
            }
            return null;
        };

        var pushed = harness.Push(layout, proxy.Host, "app/pushed", "1.0", "latest");

        Assert.True(blobUploadsHeld > 0, proxy.Describe());
        Assert.True(headsBeforeBlobsLanded.IsSet, $"looked up while blobs moved: {string.Join(", ", heads.Keys)}\n{proxy.Describe()}");
        Assert.True(tagPutsTogether, proxy.Describe());
        Assert.Empty(outOfOrder);
        // One round trip each: nothing existed, so the lookup ahead settled every PUT (no second HEAD).
        Assert.All(references, reference => Assert.Equal(1, heads.GetValueOrDefault(reference)));
        Assert.Equal(3, pushed.Push.ManifestsWritten);   // the image (two tags), its SBOM, the referrers index
        foreach (var tag in new[] { "1.0", "latest" })
            Assert.Equal(image.Digest, Digest.Of(System.Text.Encoding.UTF8.GetBytes(Skopeo("inspect", "--raw", $"docker://{registry.Host}/app/pushed:{tag}"))));
        Assert.Contains(sbomManifest.ToString(), Skopeo("inspect", "--raw", $"docker://{registry.Host}/app/pushed:{referrersTag}"));

        // Again, nothing changed: a digest found ahead is settled; a tag found naming the same bytes is asked again (it
        // may have moved since); nothing is written.
        heads.Clear();
        proxy.Rule = request =>
        {
            if (request.Method == "HEAD" && request.Path.Contains("/manifests/", StringComparison.Ordinal)) heads.AddOrUpdate(Reference(request), 1, (_, n) => n + 1);
            return null;
        };
        var exchangesBefore = proxy.Exchanges.Count;
        var again = harness.Push(layout, proxy.Host, "app/pushed", "1.0", "latest");
        Assert.Equal(0, again.Push.ManifestsWritten);
        Assert.DoesNotContain(proxy.Exchanges.Skip(exchangesBefore), e => e.StartsWith("PUT /v2/app/pushed/manifests/", StringComparison.Ordinal));
        Assert.Equal(1, heads[sbomManifest.ToString()]);
        Assert.All(new[] { "1.0", "latest", referrersTag }, tag => Assert.Equal(2, heads[tag]));
    }

    private static string Skopeo(params string[] arguments) =>
        ProcessRunner.Run("skopeo", [arguments[0], "--tls-verify=false", .. arguments[1..]]).EnsureSuccess("skopeo").StandardOutput.TrimEnd('\n');

    /// <summary>A small app image tagged 1.0 with its SBOM attached (a referrer, under the referrers tag), as the build leaves it.</summary>
    private static (string Layout, Descriptor Image) AppImageWithSbom(EngineHarness harness)
    {
        var basePath = harness.Combine("base");
        TestImages.Base(harness.Work, basePath, harness.Combine("build-cache"), 64 * 1024);
        var layout = harness.Combine("app");
        TestImages.App(TestImages.FromLayout(basePath), harness.Work, layout, harness.Combine("build-cache"), "hello", "1.0");
        var image = OciLayout.Open(layout).FindManifest("1.0") with { Annotations = null };
        var restore = harness.Combine("restore");
        Directory.CreateDirectory(restore);
        ImageSbom.Attach(new ImageSbomRequest
        {
            LayoutPath = layout, ManifestDigest = image.Digest, AssetsFile = SyntheticRestore.Write(restore), TargetFramework = "net10.0",
            RuntimeIdentifier = "linux-x64", AppName = "App", ImageName = "app/pushed", ImageTag = "1.0",
        }, harness.Log);
        return (layout, image);
    }
}
