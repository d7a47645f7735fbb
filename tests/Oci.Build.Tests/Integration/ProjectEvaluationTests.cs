using Microsoft.Build.Execution;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Integration;

/// <summary>
/// The SDK's defaults, read by evaluating projects in-process (Microsoft.Build + Locator) and running only the target that
/// computes the image settings: fast, and exactly what `dotnet publish` would use.
/// </summary>
public sealed class ProjectEvaluationTests : IDisposable
{
    private readonly List<EvaluatedProject> _projects = [];

    public void Dispose() => _projects.ForEach(p => p.Dispose());

    /// <summary>The folder of the project evaluated last.</summary>
    private string App => _projects[^1].Directory;

    private IEnumerable<string> Messages => _projects.SelectMany(p => p.Log);

    private ProjectInstance Evaluate(string projectBody, IDictionary<string, string>? globalProperties = null)
    {
        var project = new EvaluatedProject(projectBody, globalProperties);
        _projects.Add(project);
        Assert.True(project.Succeeded, $"OciComputeImageSettings failed:\n{project.Output}");
        return project.Instance;
    }

    private const string ConsoleApp = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
          </PropertyGroup>
        </Project>
        """;

    [Fact]
    public void Defaults_name_the_image_after_the_assembly_and_write_it_beside_the_publish_folder()
    {
        var project = Evaluate(ConsoleApp);
        var app = App;
        Assert.Equal("my.service", project.GetPropertyValue("ContainerRepository"));
        Assert.Equal(new[] { "latest" }, project.GetItems("_OciImageTag").Select(i => i.EvaluatedInclude));
        Assert.Equal(Path.Combine(app, "bin", "Release", "net10.0", "oci-layout"), project.GetPropertyValue("ContainerImageLayoutPath"));
        Assert.Equal(Path.Combine(app, "bin", "Release", "net10.0", "oci-image.json"), project.GetPropertyValue("ContainerImageSummaryPath"));
        Assert.Equal("/app", project.GetPropertyValue("ContainerWorkingDirectory"));
        Assert.Equal("linux-x64", project.GetPropertyValue("ContainerRuntimeIdentifier"));
        // Framework-dependent: the entry point is `dotnet app.dll`, as the .NET SDK does.
        Assert.Equal(new[] { "dotnet", "/app/My.Service.dll" }, project.GetItems("ContainerAppCommand").Select(i => i.EvaluatedInclude));
        Assert.Contains($"{app}/=/_/My.Service/", project.GetPropertyValue("PathMap"));
    }

    [Fact]
    public void Self_contained_apps_start_their_apphost_and_tags_come_from_ContainerImageTag()
    {
        var project = Evaluate(ConsoleApp, new Dictionary<string, string>
        {
            ["RuntimeIdentifier"] = "linux-arm64",
            ["SelfContained"] = "true",
            ["ContainerImageTag"] = "2.1.0",
        });
        Assert.Equal(new[] { "/app/My.Service" }, project.GetItems("ContainerAppCommand").Select(i => i.EvaluatedInclude));
        Assert.Equal("linux-arm64", project.GetPropertyValue("ContainerRuntimeIdentifier"));
        Assert.Equal(new[] { "2.1.0" }, project.GetItems("_OciImageTag").Select(i => i.EvaluatedInclude));
        Assert.EndsWith(Path.Combine("linux-arm64", "oci-layout"), project.GetPropertyValue("ContainerImageLayoutPath"));
    }

    [Fact]
    public void The_cache_follows_OCI_BUILD_CACHE_then_XDG_CACHE_HOME()
    {
        Assert.Equal("/custom/cache", Evaluate(ConsoleApp, new Dictionary<string, string> { ["OCI_BUILD_CACHE"] = "/custom/cache" })
            .GetPropertyValue("OciBuildCacheDirectory"));
        Assert.Equal("/xdg/oci-build", Evaluate(ConsoleApp, new Dictionary<string, string> { ["OCI_BUILD_CACHE"] = "", ["XDG_CACHE_HOME"] = "/xdg" })
            .GetPropertyValue("OciBuildCacheDirectory"));
    }

    [Fact]
    public void Several_container_runtime_identifiers_make_an_index_build_that_restores_every_platform()
    {
        var project = Evaluate(ConsoleApp, new Dictionary<string, string> { ["RuntimeIdentifier"] = "linux-x64", ["ContainerRuntimeIdentifiers"] = "linux-x64;linux-arm64" });
        Assert.DoesNotContain(Messages, w => w.Contains("OCI1013"));
        Assert.Equal("true", project.GetPropertyValue("_OciImageIndexBuild"));
        Assert.Equal(["linux-x64", "linux-arm64"], project.GetPropertyValue("RuntimeIdentifiers").Split(';'));
        Assert.Contains("OciBuildImageIndex", project.GetPropertyValue("OciPublishImageDependsOn"));

        // One runtime identifier, or none: one image, as before.
        foreach (var single in new[] { "linux-arm64", "" })
        {
            project = Evaluate(ConsoleApp, new Dictionary<string, string> { ["RuntimeIdentifier"] = "linux-x64", ["ContainerRuntimeIdentifiers"] = single });
            Assert.Equal("", project.GetPropertyValue("_OciImageIndexBuild"));
            Assert.DoesNotContain("OciBuildImageIndex", project.GetPropertyValue("OciPublishImageDependsOn"));
        }

        // The per-platform publishes build and never push.
        project = Evaluate(ConsoleApp, new Dictionary<string, string>
        {
            ["RuntimeIdentifier"] = "linux-arm64", ["ContainerRuntimeIdentifiers"] = "linux-x64;linux-arm64", ["_OciPlatformImageBuild"] = "true",
        });
        Assert.Equal("", project.GetPropertyValue("_OciImageIndexBuild"));
        Assert.Contains("OciBuildImage;", project.GetPropertyValue("OciPublishImageDependsOn"));
        Assert.DoesNotContain("OciPushImage", project.GetPropertyValue("OciPublishImageDependsOn"));
    }

    [Theory]
    [InlineData("1.0.0%3Blatest")]   // -p:ContainerImageTags="1.0.0;latest": the dotnet CLI escapes the semicolon
    [InlineData("1.0.0;latest")]     // -p:ContainerImageTags='"1.0.0;latest"' and project files
    public void A_list_given_on_the_command_line_becomes_one_item_per_entry_whichever_way_it_was_quoted(string tags)
    {
        var project = Evaluate(ConsoleApp, new Dictionary<string, string> { ["ContainerImageTags"] = tags });
        Assert.Equal(["1.0.0", "latest"], project.GetItems("_OciImageTag").Select(i => i.EvaluatedInclude));
    }

    [Fact]
    public void EnableOciBuild_false_leaves_compiler_paths_alone()
    {
        var project = Evaluate(ConsoleApp, new Dictionary<string, string> { ["EnableOciBuild"] = "false" });
        Assert.DoesNotContain("/_/My.Service/", project.GetPropertyValue("PathMap"));
    }
}
