using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.SdkCompat;

/// <summary>The SDK's commands on the sample: `-p:PublishProfile=DefaultContainer`, LocalRegistry=Podman, the SDK's outputs, Docker media types.</summary>
[Collection("Release publishes")]
public sealed class PublishContainerTests : IDisposable
{
    private readonly TempDirectory _work = new("publish-container");

    public void Dispose() => _work.Dispose();

    [Fact]
    public void PublishProfile_DefaultContainer_loads_the_image_into_podman_and_sets_the_sdks_outputs()
    {
        using var sample = new SampleProject();
        // A later target reads the SDK's output names; the project asks for a writable folder.
        var extra = _work.Combine("extra.targets");
        File.WriteAllText(extra, """
            <Project>
              <ItemGroup><ContainerWritableDirectory Include="data" /></ItemGroup>
              <Target Name="ShowSdkOutputs" AfterTargets="PublishContainer">
                <Message Importance="high" Text="SDK-DIGEST=$(GeneratedContainerDigest)" />
                <Message Importance="high" Text="SDK-MEDIATYPE=$(GeneratedContainerMediaType)" />
                <Message Importance="high" Text="SDK-NAMES=@(GeneratedContainerName)" />
                <Message Importance="high" Text="SDK-CONFIG-HAS-ENTRYPOINT=$(GeneratedContainerConfiguration.Contains('&quot;Entrypoint&quot;:[&quot;/app/HelloOci&quot;]'))" />
                <Message Importance="high" Text="SDK-MANIFEST-LENGTH=$(GeneratedContainerManifest.Length)" />
              </Target>
            </Project>
            """);
        // podman's storage in a temp root with vfs, through its usual configuration variable (runroot paths must stay short).
        var runroot = Path.Combine("/tmp", "ocib-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            PublishAndLoad(sample, extra, runroot);
        }
        finally
        {
            if (Directory.Exists(runroot)) Directory.Delete(runroot, recursive: true);
        }
    }

    private void PublishAndLoad(SampleProject sample, string extra, string runroot)
    {
        var storageConf = _work.Combine("storage.conf");
        File.WriteAllText(storageConf, $"[storage]\ndriver = \"vfs\"\ngraphroot = \"{_work.Combine("podman")}\"\nrunroot = \"{runroot}\"\n");

        var publish = sample.Publish(new Dictionary<string, string>
        {
            ["PublishProfile"] = "DefaultContainer",
            ["LocalRegistry"] = "Podman",
            ["CustomAfterMicrosoftCommonTargets"] = extra,
        }, new Dictionary<string, string?> { ["CONTAINERS_STORAGE_CONF"] = storageConf }).EnsureSuccess("dotnet publish -p:PublishProfile=DefaultContainer -p:LocalRegistry=Podman");

        var digest = OciLayout.Open(sample.LayoutPath).FindManifest("1.0.0").Digest.ToString();
        Assert.Contains($"SDK-DIGEST={digest}", publish.Output);
        Assert.Contains($"SDK-MEDIATYPE={MediaTypes.OciManifest}", publish.Output);
        Assert.Contains("SDK-NAMES=samples/hello-oci:1.0.0;samples/hello-oci:latest", publish.Output);
        Assert.Contains("SDK-CONFIG-HAS-ENTRYPOINT=True", publish.Output);
        Assert.Matches(new Regex(@"SDK-MANIFEST-LENGTH=[1-9]\d+"), publish.Output);

        var images = ProcessRunner.Run("podman", ["images", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"], environment: new Dictionary<string, string?> { ["CONTAINERS_STORAGE_CONF"] = storageConf })
            .EnsureSuccess("podman images");
        Assert.Contains($"localhost/samples/hello-oci:1.0.0 {digest}", images.StandardOutput);
        Assert.Contains($"localhost/samples/hello-oci:latest {digest}", images.StandardOutput);

        // The app layer: /app/data belongs to the app's user (ContainerUser 1654), the app's files to root, read-only to it.
        var layout = OciLayout.Open(sample.LayoutPath);
        var manifest = OciJson.Deserialize<ImageManifest>(File.ReadAllBytes(layout.BlobPath(layout.FindManifest("1.0.0").Digest)), "manifest");
        var entries = new Dictionary<string, TarEntry>();
        using (var gzip = new GZipStream(File.OpenRead(layout.BlobPath(manifest.Layers[^1].Digest)), CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
            while (tar.GetNextEntry() is { } entry) entries[entry.Name.TrimEnd('/')] = entry;
        Assert.Equal((1654, 1654), (entries["app/data"].Uid, entries["app/data"].Gid));
        Assert.All(entries.Values.Where(e => e.Name.TrimEnd('/') != "app/data"), e => Assert.Equal((0, 0), (e.Uid, e.Gid)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, entries["app/HelloOci.dll"].Mode);
        Assert.Equal((UnixFileMode)0b111_101_101, entries["app/HelloOci"].Mode);
    }

    [Fact]
    public void ContainerImageFormat_Docker_pushes_docker_media_types()
    {
        using var registry = new RegistryServer();
        using var sample = new SampleProject();
        sample.Publish(new Dictionary<string, string>
        {
            ["ContainerImageFormat"] = "Docker",
            ["ContainerRegistry"] = registry.Host,
            ["ContainerRepository"] = "docker/hello",
        }, new Dictionary<string, string?> { ["DOCKER_CONFIG"] = _work.Combine("no-docker-config") }, ["-t:PublishContainer"])
            .EnsureSuccess("dotnet publish -t:PublishContainer -p:ContainerImageFormat=Docker");
        var raw = JsonNode.Parse(ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/docker/hello:1.0.0")
            .EnsureSuccess("skopeo inspect --raw").StandardOutput)!;
        Assert.Equal(MediaTypes.DockerManifest, raw["mediaType"]!.GetValue<string>());
        Assert.Equal(MediaTypes.DockerConfig, raw["config"]!["mediaType"]!.GetValue<string>());
        Assert.All(raw["layers"]!.AsArray(), l => Assert.Equal(MediaTypes.DockerLayerGzip, l!["mediaType"]!.GetValue<string>()));
        ProcessRunner.Run("skopeo", "inspect", "--tls-verify=false", $"docker://{registry.Host}/docker/hello:latest").EnsureSuccess("skopeo reads the Docker image");
    }
}
