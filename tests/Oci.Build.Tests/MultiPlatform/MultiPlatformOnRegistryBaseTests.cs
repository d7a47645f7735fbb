using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;
using FreePort = Oci.Build.Tests.Infrastructure.FreePort;

namespace Oci.Build.Tests.MultiPlatform;

/// <summary>
/// The issue's done-when for multi-platform output: <c>dotnet publish samples/HelloOci -c Release
/// -p:ContainerBaseImage=HOST/dotnet/runtime-deps:10.0 -p:ContainerRuntimeIdentifiers="linux-x64;linux-arm64"
/// -p:ContainerRegistry=HOST</c> on a base shaped like Microsoft's (a Docker manifest list with amd64, arm64/v8, arm/v7 and
/// attestations) pushes an index that <c>skopeo inspect --raw</c> shows with both platforms, and containerd pulls it and
/// runs the amd64 image.
/// </summary>
[Collection("Release publishes")]
public sealed class MultiPlatformOnRegistryBaseTests
{
    [Fact]
    public void Publish_for_two_platforms_on_a_registry_manifest_list_pushes_an_index_that_containerd_pulls_and_runs()
    {
        using var work = new TempDirectory("multi-out");
        using var sample = new SampleProject();
        using var registry = new RegistryServer();
        var pushed = MultiPlatformBase.Push(registry, MultiPlatformBase.BuildSampleBase(sample), MultiPlatformBase.Shape.DockerManifestList);
        var emptyConf = work.Combine("registries.conf");
        File.WriteAllText(emptyConf, "# none\n");

        var result = sample.Publish(new Dictionary<string, string>
        {
            ["ContainerBaseImage"] = pushed.Reference,
            ["ContainerRuntimeIdentifiers"] = "\"linux-x64;linux-arm64\"",
            ["ContainerRegistry"] = registry.Host,
            ["ContainerRepository"] = "x/hello",
            ["ContainerRegistriesConfig"] = emptyConf,
        }, new Dictionary<string, string?> { ["DOCKER_CONFIG"] = work.Combine("no-docker-config") }).EnsureSuccess("multi-platform publish on a registry base");

        // The base is on the registry pushed to: every platform's base layers are mounted from it, not uploaded again.
        Assert.Matches(@"blobs: \d+ \(\d+ uploaded, 2 mounted, 0 already there\)", result.Output);

        // Each platform's image starts from that platform's base image.
        var layout = OciLayout.Open(sample.LayoutPath);
        var root = layout.Index.Manifests[0];
        Assert.Equal(MediaTypes.OciIndex, root.MediaType);
        var index = OciJson.Deserialize<ImageIndex>(layout.ReadDocument(root, "index"), "index");
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], index.Manifests.Select(m => m.Platform!.ToString()));
        foreach (var (entry, basePlatform) in index.Manifests.Zip(new[] { "linux/amd64", "linux/arm64/v8" }))
        {
            var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "manifest"), "manifest");
            Assert.Equal(pushed.Manifests[basePlatform].Digest.ToString(), manifest.Annotations![AnnotationKeys.BaseDigest]);
        }

        // Pushed as the index, under every tag; skopeo reads back the very bytes and both platforms.
        foreach (var tag in new[] { "1.0.0", "latest" })
        {
            var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/x/hello:{tag}")
                .EnsureSuccess($"skopeo inspect --raw {tag}").StandardOutput.TrimEnd('\n');
            Assert.Equal(root.Digest, Digest.Of(System.Text.Encoding.UTF8.GetBytes(raw)));
            Assert.Equal(["linux/amd64", "linux/arm64/v8"], JsonNode.Parse(raw)!["manifests"]!.AsArray()
                .Select(m => $"{m!["platform"]!["os"]}/{m["platform"]!["architecture"]}/{m["platform"]!["variant"]}".TrimEnd('/')));
        }

        using var containerd = new Containerd();
        var reference = $"{registry.Host}/x/hello:1.0.0";
        containerd.Pull(reference);
        var images = containerd.Ctr("images", "ls").EnsureSuccess("ctr images ls").StandardOutput;
        Assert.Contains(root.Digest.ToString(), images);
        using var container = containerd.Run(reference, FreePort.Next());
        var (status, body) = container.Get("/");
        Assert.Equal(200, status);
        Assert.Contains("Hello from HelloOci", body);
    }
}
