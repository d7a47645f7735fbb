using System.Security.Cryptography;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// The standalone <c>OciPushLayout</c> target, run by <c>dotnet msbuild</c> as the docs show: it pushes a layout built
/// earlier with the layout's own tags, and skopeo (an independent client) reads every tag back.
/// </summary>
[Collection("Publish")]
public sealed class OciPushLayoutTests
{
#if DEBUG
    private const string TasksConfiguration = "Debug";
#else
    private const string TasksConfiguration = "Release";
#endif

    [Fact]
    public void OciPushLayout_pushes_a_layout_with_its_own_tags()
    {
        using var work = new TempDirectory("push-layout");
        using var registry = new RegistryServer();
        using var sample = new SampleProject();
        var data = work.Combine("data.bin");
        File.WriteAllBytes(data, RandomNumberGenerator.GetBytes(4096));
        var layout = work.Combine("layout");
        TestImages.Files([LayerEntry.FromFile("opt/data.bin", data)], TestImages.Settings("pushme", "1.0", "latest"), layout, work.Combine("cache"));
        var digest = TestImages.ManifestDigest(layout);
        var emptyConf = work.Combine("registries.conf");
        File.WriteAllText(emptyConf, "# none\n");

        ProcessResult PushLayout(params string[] extra) => ProcessRunner.Run("dotnet",
            ["msbuild", sample.ProjectFile, "-nodeReuse:false", "-v:n", "-t:OciPushLayout", $"-p:Configuration={TasksConfiguration}",
             $"-p:ContainerImageLayoutPath={layout}", $"-p:ContainerRegistry={registry.Host}", "-p:ContainerRepository=lib/pushed",
             $"-p:ContainerRegistriesConfig={emptyConf}", .. extra],
            sample.Directory,
            new Dictionary<string, string?>
            {
                ["OCI_BUILD_CACHE"] = work.Combine("oci-cache"),
                ["DOCKER_CONFIG"] = work.Combine("no-docker-config"),
                ["MSBUILDDISABLENODEREUSE"] = "1",
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
            },
            timeout: TimeSpan.FromMinutes(3)).EnsureSuccess("OciPushLayout");

        // No tags (the sample's ContainerImageTags emptied on the command line): the layout's own ref.name tags are pushed.
        var own = PushLayout("-p:ContainerImageTags=");
        Assert.True(own.Output.Contains($"Pushed {registry.Host}/lib/pushed:1.0, {registry.Host}/lib/pushed:latest -> {digest}", StringComparison.Ordinal), own.Output);
        Assert.Equal(["1.0", "latest"], Tags(registry.Host));
        foreach (var tag in new[] { "1.0", "latest" }) Assert.Equal(digest, RegistryDigest(registry.Host, tag));

        // The project's tags (HelloOci sets 1.0.0;latest) are what is pushed when there are any; blobs are already there.
        var project = PushLayout();
        Assert.True(project.Output.Contains($"Pushed {registry.Host}/lib/pushed:1.0.0, {registry.Host}/lib/pushed:latest -> {digest}", StringComparison.Ordinal), project.Output);
        Assert.Contains("blob bytes uploaded: 0 ", project.Output);
        Assert.Equal(["1.0", "1.0.0", "latest"], Tags(registry.Host));
        Assert.Equal(digest, RegistryDigest(registry.Host, "1.0.0"));
    }

    private static IReadOnlyList<string> Tags(string host)
    {
        var output = ProcessRunner.Run("skopeo", "list-tags", "--tls-verify=false", $"docker://{host}/lib/pushed").EnsureSuccess("skopeo list-tags").StandardOutput;
        using var json = System.Text.Json.JsonDocument.Parse(output);
        return json.RootElement.GetProperty("Tags").EnumerateArray().Select(t => t.GetString()!).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The digest of the manifest bytes skopeo reads for a tag (it prints them exactly as served, plus a newline).</summary>
    private static Digest RegistryDigest(string host, string tag)
    {
        var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{host}/lib/pushed:{tag}").EnsureSuccess($"skopeo inspect {tag}");
        return Digest.Of(System.Text.Encoding.UTF8.GetBytes(raw.StandardOutput.TrimEnd('\n')));
    }
}
