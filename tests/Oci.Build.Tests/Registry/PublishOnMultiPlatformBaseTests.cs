using System.Net;
using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// The done-when: <c>dotnet publish samples/HelloOci -c Release -p:ContainerBaseImage=HOST/dotnet/runtime-deps:10.0</c>
/// works on a base shaped like Microsoft's (a Docker manifest list, and an OCI index, with arm and attestation entries),
/// pushes with <c>ContainerRegistry</c> set, and the pushed image runs.
/// </summary>
[Collection("Publish")]
public sealed class PublishOnMultiPlatformBaseTests
{
    [Fact]
    public async Task Publish_on_a_manifest_list_and_on_an_oci_index_picks_amd64_pushes_and_the_pushed_image_runs()
    {
        using var work = new TempDirectory("multi-base");
        using var sample = new SampleProject();
        var localBase = MultiPlatformBase.BuildSampleBase(sample);
        var baseLayer = OciJson.Deserialize<ImageManifest>(OciLayout.Open(localBase).ReadDocument(OciLayout.Open(localBase).Index.Manifests[0], "m"), "m").Layers.Single();
        var emptyConf = work.Combine("registries.conf");
        File.WriteAllText(emptyConf, "# none\n");

        foreach (var shape in new[] { MultiPlatformBase.Shape.DockerManifestList, MultiPlatformBase.Shape.OciIndex })
        {
            using var registry = new RegistryServer();
            var pushed = MultiPlatformBase.Push(registry, localBase, shape);
            var result = sample.Publish(new Dictionary<string, string>
            {
                ["ContainerBaseImage"] = pushed.Reference,
                ["ContainerRegistry"] = registry.Host,
                ["ContainerRepository"] = "x/hello",
                ["ContainerRegistriesConfig"] = emptyConf,
            }, new Dictionary<string, string?> { ["DOCKER_CONFIG"] = work.Combine("no-docker-config") }).EnsureSuccess($"publish on the {shape}");

            var amd64 = pushed.Manifests["linux/amd64"].Digest;
            Assert.Contains($"Base image {pushed.Reference} -> {amd64}", result.Output);
            var layout = OciLayout.Open(sample.LayoutPath);
            var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(layout.Index.Manifests[0], "m"), "m");
            Assert.Equal(amd64.ToString(), manifest.Annotations!["org.opencontainers.image.base.digest"]);
            Assert.Equal(baseLayer.Digest, manifest.Layers[0].Digest);
            Assert.Equal(MediaTypes.OciLayerGzip, manifest.Layers[0].MediaType); // a Docker layer type carried as its OCI name

            // Pushed: skopeo reads back the very manifest the layout holds.
            var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/x/hello:1.0.0").EnsureSuccess("skopeo inspect");
            Assert.Equal(layout.Index.Manifests[0].Digest, Digest.Of(System.Text.Encoding.UTF8.GetBytes(raw.StandardOutput.TrimEnd('\n'))));

            if (shape == MultiPlatformBase.Shape.DockerManifestList)
                await AssertPulledImageRuns(registry.Host, work);
        }
    }

    /// <summary>Pulls the pushed image back with skopeo (an independent client), unpacks it with umoci and runs it.</summary>
    private static async Task AssertPulledImageRuns(string host, TempDirectory work)
    {
        var copy = work.Combine("pulled");
        ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", $"docker://{host}/x/hello:1.0.0", $"oci:{copy}:pulled").EnsureSuccess("skopeo copy");
        var bundle = work.Combine("bundle");
        ProcessRunner.Run("umoci", "unpack", "--image", $"{copy}:pulled", bundle).EnsureSuccess("umoci unpack");
        var pulled = OciLayout.Open(copy);
        var manifest = OciJson.Deserialize<ImageManifest>(pulled.ReadDocument(pulled.Index.Manifests[0], "m"), "m");
        var config = JsonNode.Parse(pulled.ReadDocument(manifest.Config, "c"))!.AsObject();

        var port = Infrastructure.FreePort.Next();
        using var container = RootfsRunner.Start(bundle, config, new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port.ToString() });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        HttpResponseMessage? response = null;
        for (var attempt = 0; attempt < 60 && response is null && !container.HasExited; attempt++)
        {
            try
            {
                response = await http.GetAsync($"http://127.0.0.1:{port}/");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(250);
            }
        }
        Assert.True(response is not null, $"The app never answered. Its output:\n{container.Output}");
        Assert.Equal(HttpStatusCode.OK, response!.StatusCode);
        Assert.Contains("Hello from HelloOci", await response.Content.ReadAsStringAsync());
    }
}
