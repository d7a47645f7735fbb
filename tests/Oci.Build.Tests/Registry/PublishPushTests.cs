using System.Text.Json;
using System.Text.RegularExpressions;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// The issue's done-when: <c>dotnet publish samples/HelloOci -c Release -p:ContainerBaseImage=HOST/base:1
/// -p:ContainerRegistry=HOST -p:ContainerRepository=x/hello</c> against a registry with token auth; a republish without
/// changes uploads no blob; a one-line change uploads only the app layer (and the new config).
/// </summary>
[Collection("Publish")]
public sealed class PublishPushTests : IDisposable
{
    private const string AdminPassword = "admin-secret-2M";
    private readonly TempDirectory _work = new("publish-push");
    private readonly TokenServer _tokens;
    private readonly RegistryServer _registry;

    public PublishPushTests()
    {
        var users = new Dictionary<string, string>(RegistryServer.Users) { ["admin"] = AdminPassword };
        _tokens = new TokenServer(_work.Path, users, (user, repository, requested) => user switch
        {
            "admin" => requested.ToList(),
            "ci" => requested.Where(a => repository.StartsWith("x/", StringComparison.Ordinal) || (repository == "base" && a == "pull")).ToList(),
            _ => [],
        });
        _registry = new RegistryServer(RegistryServer.AuthMode.Token, _tokens);
    }

    [Fact]
    public void Publish_pushes_the_image_then_a_republish_uploads_nothing_and_a_one_line_change_on_a_fresh_runner_reuses_the_pushed_layers_and_uploads_only_the_app_layer()
    {
        var host = _registry.Host;
        // The base: a small image built by the engine, put on the registry by skopeo (an independent client).
        var baseLayout = _work.Combine("base");
        TestImages.Base(_work.Path, baseLayout, _work.Combine("base-cache"), 256 * 1024);
        ProcessRunner.Run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", $"admin:{AdminPassword}", $"oci:{baseLayout}:1", $"docker://{host}/base:1")
            .EnsureSuccess("skopeo copy base");

        using var sample = new SampleProject();
        var emptyConf = _work.Combine("registries.conf");
        File.WriteAllText(emptyConf, "# none\n");
        var properties = new Dictionary<string, string>
        {
            ["ContainerBaseImage"] = $"{host}/base:1",
            ["ContainerRegistry"] = host,
            ["ContainerRepository"] = "x/hello",
            ["ContainerRegistriesConfig"] = emptyConf,
        };
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_CONTAINER_REGISTRY_UNAME"] = "ci",
            ["DOTNET_CONTAINER_REGISTRY_PWORD"] = RegistryServer.Users["ci"],
            ["DOCKER_CONFIG"] = _work.Combine("no-docker-config"),
        };

        var first = sample.Publish(properties, environment).EnsureSuccess("first publish");
        var firstBytes = BytesUploaded(first.Output);
        Assert.Contains($"Pushed {host}/x/hello:1.0.0, {host}/x/hello:latest", first.Output);
        Assert.Matches(@"blobs: \d+ \(\d+ uploaded, 1 mounted, 0 already there\)", first.Output); // the base layer is mounted from base
        var layout = sample.LayoutPath;
        var digest = TestImages.ManifestDigest(layout);
        AssertRegistryHas($"{host}/x/hello:1.0.0", digest);
        AssertRegistryHas($"{host}/x/hello:latest", digest);

        var second = sample.Publish(properties, environment).EnsureSuccess("republish");
        Assert.Equal(0, BytesUploaded(second.Output));
        Assert.Contains("manifests written: 0", second.Output);

        var program = sample.Combine("Program.cs");
        File.WriteAllText(program, File.ReadAllText(program).Replace("Hello from HelloOci", "Hello again from HelloOci"));
        // A fresh CI runner: an empty cache. The runtime layer is not compressed again but fetched from the image this
        // push replaces (ContainerPreviousImage's default: the pushed repository's first tag), so the registry gets the same bytes.
        var freshRunner = new Dictionary<string, string?>(environment) { ["OCI_BUILD_CACHE"] = _work.Combine("fresh-runner-cache") };
        var third = sample.Publish(properties, freshRunner).EnsureSuccess("one-line change");
        Assert.Contains($"reused from {host}/x/hello:1.0.0", third.Output);
        var thirdBytes = BytesUploaded(third.Output);
        using var summary = JsonDocument.Parse(File.ReadAllBytes(sample.SummaryPath));
        var appLayer = summary.RootElement.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "app");
        Assert.Matches(@"layer runtime +sha256:[0-9a-f]{64} +[0-9.]+ MiB +\(FromPreviousImage\)", third.Output);
        var changed = OciLayout.Open(layout);
        var image = changed.FindManifest("1.0.0");
        var configSize = OciJson.Deserialize<ImageManifest>(changed.ReadDocument(image with { Annotations = null }, "m"), "m").Config.Size;
        // The new image's SBOM is a new document too (it names the image's digest); its empty config is already there.
        var sbomSize = Assert.Single(LayoutEntries.SbomOf(changed, image with { Annotations = null }).Content.Layers).Size;
        Assert.Equal(appLayer.GetProperty("size").GetInt64() + configSize + sbomSize, thirdBytes);
        Assert.Contains("(3 uploaded, 0 mounted,", third.Output);
        AssertRegistryHas($"{host}/x/hello:1.0.0", TestImages.ManifestDigest(layout));

        // The closing note's numbers, for the report.
        Console.WriteLine($"bytes uploaded: first push {firstBytes}, no-change republish {BytesUploaded(second.Output)}, one-line change {thirdBytes}");
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "oci-build-push-bytes.txt"), $"first={firstBytes} republish=0 oneline={thirdBytes}\n");

        foreach (var output in new[] { first.Output, second.Output, third.Output })
        {
            Assert.DoesNotContain(RegistryServer.Users["ci"], output);
            Assert.DoesNotContain("eyJ", output);
        }
    }

    private static long BytesUploaded(string output)
    {
        var match = Regex.Match(output, @"blob bytes uploaded: (\d+)");
        Assert.True(match.Success, output);
        return long.Parse(match.Groups[1].Value);
    }

    private static void AssertRegistryHas(string reference, Digest expected)
    {
        var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", $"ci:{RegistryServer.Users["ci"]}", $"docker://{reference}")
            .EnsureSuccess($"skopeo inspect {reference}");
        Assert.Equal(expected, Digest.Of(System.Text.Encoding.UTF8.GetBytes(raw.StandardOutput.TrimEnd('\n'))));
    }

    public void Dispose()
    {
        _registry.Dispose();
        _tokens.Dispose();
        _work.Dispose();
    }
}
