using System.Text.Json.Nodes;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Integration;

/// <summary>
/// The issue's done-when: a project using the .NET SDK's container properties (the examples of the SDK's
/// publish-configuration docs page) builds the same image configuration with Oci.Build as with the SDK's own
/// PublishContainer. Both start from the same base on a local CNCF registry and push their result there; the configs are
/// read back with skopeo (an independent client) and compared field by field. Set aside: the clock (the SDK stamps
/// `created` and its created labels with the build time) and the layer list (the SDK writes one app layer, Oci.Build
/// splits runtime and app: rootfs and history differ by design, the base layers must be the same).
/// </summary>
[Collection("Release publishes")]
public sealed class SdkConfigComparisonTests : IDisposable
{
    private readonly TempDirectory _work = new("sdk-compare");
    private readonly RegistryServer _registry = new();

    public void Dispose()
    {
        _registry.Dispose();
        _work.Dispose();
    }

    /// <summary>The properties and items of the SDK's docs page examples, as a project would write them.</summary>
    private const string SdkDocsExamples = """
        <Project>
          <PropertyGroup>
            <ContainerRepository>compare/hello</ContainerRepository>
            <ContainerImageTags>1.2.3;latest</ContainerImageTags>
            <ContainerWorkingDirectory>/srv/app/</ContainerWorkingDirectory>
            <ContainerUser>1654</ContainerUser>
            <Description>A greeting service</Description>
            <Authors>Contoso University</Authors>
            <PackageProjectUrl>https://contoso.example/hello</PackageProjectUrl>
            <ContainerVendor>Contoso</ContainerVendor>
            <ContainerLicenseExpression>MIT</ContainerLicenseExpression>
            <ContainerDocumentationUrl>https://contoso.example/hello/docs</ContainerDocumentationUrl>
          </PropertyGroup>
          <ItemGroup>
            <ContainerPort Include="8080" Type="tcp" />
            <ContainerPort Include="8081" Type="udp" />
            <ContainerEnvironmentVariable Include="LOGGER_VERBOSITY" Value="Trace" />
            <ContainerEnvironmentVariable Include="ASPNETCORE_HTTP_PORTS" Value="8080" />
            <ContainerLabel Include="org.contoso.businessunit" Value="contoso-university" />
            <ContainerAppCommandArgs Include="--environment" />
            <ContainerAppCommandArgs Include="Production" />
            <ContainerDefaultArgs Include="--verbose" />
          </ItemGroup>
        </Project>
        """;

    [Fact]
    public void The_sdk_and_Oci_Build_write_the_same_config_for_the_sdk_docs_examples()
    {
        var host = _registry.Host;
        // A base with environment and a label of its own, so merging over the base is compared too.
        var baseLayout = _work.Combine("base");
        var file = _work.Combine("base.txt");
        File.WriteAllText(file, "base");
        TestImages.Files([LayerEntry.FromFile("etc/base-release", file)], TestImages.Settings("base", "1") with
        {
            Environment = [new("PATH", "/usr/local/bin:/usr/bin:/bin"), new("LOGGER_VERBOSITY", "Info")],
            Labels = new Dictionary<string, string> { ["org.example.base"] = "yes" },
        }, baseLayout, _work.Combine("base-cache"));
        ProcessRunner.Run("skopeo", "copy", "--dest-tls-verify=false", $"oci:{baseLayout}:1", $"docker://{host}/base:1").EnsureSuccess("skopeo copy base");

        using var sample = new SampleProject();
        var examples = _work.Combine("sdk-docs-examples.targets");
        File.WriteAllText(examples, SdkDocsExamples);
        var common = new Dictionary<string, string>
        {
            // After the project's own settings (HelloOci names its repository and tags), so the examples win.
            ["CustomAfterMicrosoftCommonTargets"] = examples,
            ["Version"] = "1.2.3",
            ["ContainerBaseImage"] = $"{host}/base:1",
            ["ContainerRegistry"] = host,
            // SourceLink's values, as a git checkout gives them (the SDK labels them only with PublishRepositoryUrl).
            ["PublishRepositoryUrl"] = "true",
            ["RepositoryType"] = "git",
            ["PrivateRepositoryUrl"] = "https://github.com/contoso/hello.git",
            ["SourceRevisionId"] = "0123456789abcdef0123456789abcdef01234567",
        };
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = host,
            ["DOCKER_CONFIG"] = _work.Combine("no-docker-config"),
        };

        var sdk = sample.Publish(new Dictionary<string, string>(common)
        {
            ["EnableOciBuild"] = "false",
            ["ContainerRepository"] = "sdk/hello",
        }, new Dictionary<string, string?>(environment)
        {
            // The SDK keeps every layer it pulls or compresses in XDG_CACHE_HOME/dotnet/Containers and never prunes it.
            ["XDG_CACHE_HOME"] = _work.Combine("sdk-cache"),
        }, ["-t:PublishContainer"]).EnsureSuccess("dotnet publish -t:PublishContainer with the SDK's implementation");
        Assert.DoesNotContain("OciBuildImage", sdk.Output);
        // -p:Version and SourceLink's properties are the project's: they must not compile the task assembly from src/ again
        // (every other publish here uses that same bin/ folder and would see Oci.Build change under it).
        var taskAssemblies = Directory.GetFiles(Path.Combine(RepoPaths.Root, "src", "Oci.Build.Tasks", "bin", "Release", "net10.0"), "*.dll")
            .ToDictionary(f => f, File.GetLastWriteTimeUtc);

        var ours = sample.Publish(new Dictionary<string, string>(common)
        {
            ["ContainerRepository"] = "oci/hello",
        }, new Dictionary<string, string?>(environment) { ["SOURCE_DATE_EPOCH"] = "1700000000" }, ["-t:PublishContainer"])
            .EnsureSuccess("dotnet publish -t:PublishContainer with Oci.Build");
        Assert.Contains("Pushed", ours.Output);
        Assert.All(taskAssemblies, a => Assert.Equal(a.Value, File.GetLastWriteTimeUtc(a.Key)));

        var sdkConfig = Config($"{host}/sdk/hello:1.2.3");
        var ourConfig = Config($"{host}/oci/hello:1.2.3");

        foreach (var field in new[] { "architecture", "os", "variant" })
            Assert.True(JsonNode.DeepEquals(sdkConfig[field], ourConfig[field]), $"{field}: SDK {sdkConfig[field]?.ToJsonString()}, Oci.Build {ourConfig[field]?.ToJsonString()}");

        var sdkRuntime = sdkConfig["config"]!.AsObject();
        var ourRuntime = ourConfig["config"]!.AsObject();
        string[] clockLabels = ["org.opencontainers.image.created", "org.opencontainers.artifact.created"];
        foreach (var field in sdkRuntime.Select(p => p.Key).Union(ourRuntime.Select(p => p.Key)).Distinct())
        {
            var expected = sdkRuntime[field]?.DeepClone();
            var actual = ourRuntime[field]?.DeepClone();
            if (field == "Labels")
            {
                // Both stamp a created label; the SDK's is the clock, ours SOURCE_DATE_EPOCH: the keys must match, not the values.
                foreach (var label in clockLabels)
                {
                    Assert.True(expected?[label] is not null, $"the SDK wrote no {label} label");
                    Assert.Equal("2023-11-14T22:13:20Z", actual?[label]?.GetValue<string>());
                    expected!.AsObject().Remove(label);
                    actual!.AsObject().Remove(label);
                }
            }
            Assert.True(JsonNode.DeepEquals(Empty(expected), Empty(actual)),
                $"config.{field}: SDK {expected?.ToJsonString() ?? "(none)"}, Oci.Build {actual?.ToJsonString() ?? "(none)"}");
        }
        // The labels the docs promise are there (so the comparison above compared something).
        var labels = ourRuntime["Labels"]!;
        Assert.Equal("contoso-university", labels["org.contoso.businessunit"]!.GetValue<string>());
        Assert.Equal("https://github.com/contoso/hello", labels["org.opencontainers.image.source"]!.GetValue<string>());
        Assert.Equal($"{host}/base:1", labels["org.opencontainers.image.base.name"]!.GetValue<string>());
        Assert.Equal(["/srv/app/HelloOci", "--environment", "Production"], ourRuntime["Entrypoint"]!.AsArray().Select(n => n!.GetValue<string>()));

        // Same base layers underneath; the layers above are Oci.Build's own split (runtime, app).
        var sdkDiffIds = sdkConfig["rootfs"]!["diff_ids"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        var ourDiffIds = ourConfig["rootfs"]!["diff_ids"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(sdkDiffIds[0], ourDiffIds[0]);
    }

    private static JsonObject Config(string reference) =>
        JsonNode.Parse(ProcessRunner.Run("skopeo", "inspect", "--tls-verify=false", "--config", $"docker://{reference}")
            .EnsureSuccess($"skopeo inspect --config {reference}").StandardOutput)!.AsObject();

    /// <summary>An absent field, null and an empty list or object mean the same to a runtime.</summary>
    private static JsonNode? Empty(JsonNode? node) => node switch
    {
        JsonArray { Count: 0 } or JsonObject { Count: 0 } => null,
        _ => node,
    };
}
