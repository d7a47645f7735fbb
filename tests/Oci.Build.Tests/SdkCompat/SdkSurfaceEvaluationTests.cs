using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.SdkCompat;

/// <summary>
/// The .NET SDK's container properties evaluated in-process (Microsoft.Build through the Locator) up to the image
/// settings: base inference, labels and their defaults, deprecated names, which PublishContainer runs.
/// </summary>
public sealed class SdkSurfaceEvaluationTests
{
    private const string Console = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
          </PropertyGroup>
        </Project>
        """;

    private const string Web = """
        <Project Sdk="Microsoft.NET.Sdk.Web">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
          </PropertyGroup>
        </Project>
        """;

    [Theory]
    [InlineData(Console, "", "", "mcr.microsoft.com/dotnet/runtime:10.0")]
    [InlineData(Web, "", "", "mcr.microsoft.com/dotnet/aspnet:10.0")]
    [InlineData(Console, "true", "", "mcr.microsoft.com/dotnet/runtime-deps:10.0")]
    // Chiseled images have no ICU: an app without InvariantGlobalization gets the -extra flavour, as the SDK decides.
    [InlineData(Web, "", "noble-chiseled", "mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra")]
    [InlineData(Console, "true", "alpine", "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine")]
    public void Without_ContainerBaseImage_the_base_is_inferred_with_the_sdks_rules(string project, string selfContained, string family, string expected)
    {
        var properties = new Dictionary<string, string> { ["RuntimeIdentifier"] = "linux-x64" };
        if (selfContained.Length > 0) properties["SelfContained"] = selfContained;
        if (family.Length > 0) properties["ContainerFamily"] = family;
        using var evaluated = new EvaluatedProject(project, properties);
        Assert.True(evaluated.Succeeded, evaluated.Output);
        Assert.Equal(expected, evaluated.Property("ContainerBaseImage"));
        Assert.Equal("true", evaluated.Property("_OciBaseImageInferred"));
        Assert.Contains($"ContainerBaseImage is not set: using {expected}", evaluated.Output);
    }

    [Fact]
    public void Visual_Studios_RegistryUrl_and_PublishImageTag_name_the_registry_and_tag_unless_the_container_properties_do()
    {
        var shims = new Dictionary<string, string> { ["ContainerBaseImage"] = "oci:/srv/bases/runtime:10.0", ["RegistryUrl"] = "registry.example:5000", ["PublishImageTag"] = "2024.1" };
        using (var evaluated = new EvaluatedProject(Console, shims))
        {
            Assert.True(evaluated.Succeeded, evaluated.Output);
            Assert.Equal("registry.example:5000", evaluated.Property("ContainerRegistry"));
            Assert.Equal("2024.1", evaluated.Property("ContainerImageTag"));
        }
        using (var evaluated = new EvaluatedProject(Console, new Dictionary<string, string>(shims) { ["ContainerRegistry"] = "other.example", ["ContainerImageTag"] = "1.0" }))
        {
            Assert.Equal("other.example", evaluated.Property("ContainerRegistry"));
            Assert.Equal("1.0", evaluated.Property("ContainerImageTag"));
            Assert.DoesNotContain("OCI1014", evaluated.Output);
        }
        // Visual Studio's clock tag is refused with a warning: the configured tag stays.
        using (var evaluated = new EvaluatedProject(Console, new Dictionary<string, string>(shims) { ["AutoGenerateImageTag"] = "true" }))
        {
            Assert.True(evaluated.Succeeded, evaluated.Output);
            Assert.Contains("warning OCI1014", evaluated.Output);
            Assert.Equal("2024.1", evaluated.Property("ContainerImageTag"));
        }
    }

    [Fact]
    public void An_explicit_base_is_kept_and_is_not_labelled_when_it_is_a_local_path()
    {
        using var evaluated = new EvaluatedProject(Console, new Dictionary<string, string> { ["ContainerBaseImage"] = "oci:/srv/bases/runtime:10.0" });
        Assert.Equal("oci:/srv/bases/runtime:10.0", evaluated.Property("ContainerBaseImage"));
        Assert.Equal("false", evaluated.Property("_OciBaseImageInferred"));
        // A host path in the config would make the image depend on the folder it was built in.
        Assert.False(evaluated.Labels().ContainsKey("org.opencontainers.image.base.name"));
    }

    [Fact]
    public void Labels_default_from_project_metadata_and_sourcelink_and_never_carry_the_clock()
    {
        using var evaluated = new EvaluatedProject(Console, new Dictionary<string, string>
        {
            ["ContainerBaseImage"] = "registry.example/base/runtime:10.0",
            ["Description"] = "Orders API",
            ["Authors"] = "Contoso",
            ["PackageProjectUrl"] = "https://contoso.example/orders",
            ["Version"] = "2.3.4",
            ["PackageLicenseExpression"] = "Apache-2.0",
            ["Title"] = "Orders",
            ["ContainerVendor"] = "Contoso Ltd",
            ["PublishRepositoryUrl"] = "true",
            ["RepositoryType"] = "git",
            ["PrivateRepositoryUrl"] = "https://github.com/contoso/orders.git",
            ["SourceRevisionId"] = "abc123",
        });
        var labels = evaluated.Labels();
        Assert.Equal("Orders API", labels["org.opencontainers.image.description"]);
        Assert.Equal("Orders API", labels["org.opencontainers.artifact.description"]);
        Assert.Equal("Contoso", labels["org.opencontainers.image.authors"]);
        Assert.Equal("https://contoso.example/orders", labels["org.opencontainers.image.url"]);
        Assert.Equal("https://contoso.example/orders", labels["org.opencontainers.image.documentation"]);
        Assert.Equal("2.3.4", labels["org.opencontainers.image.version"]);
        Assert.Equal("Apache-2.0", labels["org.opencontainers.image.licenses"]);
        Assert.Equal("Orders", labels["org.opencontainers.image.title"]);
        Assert.Equal("Contoso Ltd", labels["org.opencontainers.image.vendor"]);
        Assert.Equal("registry.example/base/runtime:10.0", labels["org.opencontainers.image.base.name"]);
        Assert.Equal("https://github.com/contoso/orders", labels["org.opencontainers.image.source"]);
        Assert.Equal("abc123", labels["org.opencontainers.image.revision"]);
        Assert.Equal("10.0", labels["net.dot.runtime.majorminor"]);
        // No timestamp set: no created label (the SDK would write the clock here).
        Assert.False(labels.ContainsKey("org.opencontainers.image.created"));
        Assert.Equal("false", evaluated.Property("_OciLabelCreated"));
        Assert.Equal("true", evaluated.Property("_OciLabelBaseDigest"));
    }

    [Fact]
    public void Each_label_toggle_turns_its_label_off_and_ContainerGenerateLabels_all_of_them()
    {
        var metadata = new Dictionary<string, string>
        {
            ["ContainerBaseImage"] = "registry.example/base:1", ["Description"] = "d", ["Authors"] = "a", ["PackageProjectUrl"] = "https://u.example",
            ["Version"] = "1.0.1", ["PackageLicenseExpression"] = "MIT", ["Title"] = "t", ["ContainerVendor"] = "v", ["SOURCE_DATE_EPOCH"] = "1700000000",
            ["PublishRepositoryUrl"] = "true", ["PrivateRepositoryUrl"] = "https://git.example/r", ["SourceRevisionId"] = "r1",
        };
        var toggles = new Dictionary<string, string[]>
        {
            ["ContainerGenerateLabelsImageDescription"] = ["org.opencontainers.image.description", "org.opencontainers.artifact.description"],
            ["ContainerGenerateLabelsImageAuthors"] = ["org.opencontainers.image.authors"],
            ["ContainerGenerateLabelsImageUrl"] = ["org.opencontainers.image.url"],
            ["ContainerGenerateLabelsImageDocumentation"] = ["org.opencontainers.image.documentation"],
            ["ContainerGenerateLabelsImageVersion"] = ["org.opencontainers.image.version"],
            ["ContainerGenerateLabelsImageLicenses"] = ["org.opencontainers.image.licenses"],
            ["ContainerGenerateLabelsImageTitle"] = ["org.opencontainers.image.title"],
            ["ContainerGenerateLabelsImageVendor"] = ["org.opencontainers.image.vendor"],
            ["ContainerGenerateLabelsImageBaseName"] = ["org.opencontainers.image.base.name"],
            ["ContainerGenerateLabelsImageSource"] = ["org.opencontainers.image.source"],
            ["ContainerGenerateLabelsImageRevision"] = ["org.opencontainers.image.revision"],
            ["ContainerGenerateLabelsDotnetToolset"] = ["net.dot.runtime.majorminor", "net.dot.sdk.version"],
        };
        using (var all = new EvaluatedProject(Console, metadata))
        {
            foreach (var label in toggles.Values.SelectMany(l => l))
                Assert.True(all.Labels().ContainsKey(label), $"{label} missing by default");
            Assert.Equal("true", all.Property("_OciLabelCreated"));
        }
        foreach (var (toggle, labels) in toggles)
        {
            using var evaluated = new EvaluatedProject(Console, new Dictionary<string, string>(metadata) { [toggle] = "false" });
            foreach (var label in labels) Assert.False(evaluated.Labels().ContainsKey(label), $"{toggle}=false left {label}");
            Assert.Equal(toggles.Values.SelectMany(l => l).Count() - labels.Length, evaluated.Labels().Count);
        }
        using (var created = new EvaluatedProject(Console, new Dictionary<string, string>(metadata) { ["ContainerGenerateLabelsImageCreated"] = "false" }))
            Assert.Equal("false", created.Property("_OciLabelCreated"));
        using (var digest = new EvaluatedProject(Console, new Dictionary<string, string>(metadata) { ["ContainerGenerateLabelsImageBaseDigest"] = "false" }))
            Assert.Equal("false", digest.Property("_OciLabelBaseDigest"));
        using var none = new EvaluatedProject(Console, new Dictionary<string, string>(metadata) { ["ContainerGenerateLabels"] = "false" });
        Assert.Empty(none.Labels());
        Assert.Equal("false", none.Property("_OciLabelCreated"));
        Assert.Equal("false", none.Property("_OciLabelBaseDigest"));
    }

    [Fact]
    public void A_label_the_project_sets_wins_over_the_generated_one()
    {
        const string project = """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Description>generated</Description></PropertyGroup>
              <ItemGroup><ContainerLabel Include="org.opencontainers.image.description" Value="mine" /></ItemGroup>
            </Project>
            """;
        using var evaluated = new EvaluatedProject(project, new Dictionary<string, string> { ["ContainerBaseImage"] = "scratch" });
        Assert.Equal(["mine"], evaluated.Instance.GetItems("ContainerLabel").Where(i => i.EvaluatedInclude == "org.opencontainers.image.description").Select(i => i.GetMetadataValue("Value")));
    }

    [Fact]
    public void Deprecated_names_still_work_with_the_sdks_warnings()
    {
        const string project = """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ContainerImageName>legacy/name</ContainerImageName></PropertyGroup>
              <ItemGroup><ContainerEntrypointArgs Include="--legacy" /></ItemGroup>
            </Project>
            """;
        using var evaluated = new EvaluatedProject(project, new Dictionary<string, string> { ["ContainerBaseImage"] = "scratch" });
        Assert.Equal("legacy/name", evaluated.Property("ContainerRepository"));
        Assert.Contains("warning CONTAINER003", evaluated.Output);
        Assert.Contains("warning CONTAINER2029", evaluated.Output);
    }

    [Fact]
    public void With_AppCommandInstruction_None_no_app_command_is_computed()
    {
        using var evaluated = new EvaluatedProject(Console, new Dictionary<string, string> { ["ContainerBaseImage"] = "scratch", ["ContainerAppCommandInstruction"] = "None" });
        Assert.Empty(evaluated.Items("ContainerAppCommand"));
        using var entrypoint = new EvaluatedProject(Console, new Dictionary<string, string> { ["ContainerBaseImage"] = "scratch", ["ContainerAppCommandInstruction"] = "DefaultArgs" });
        Assert.Equal(["dotnet", "/app/My.Service.dll"], entrypoint.Items("ContainerAppCommand"));
    }

    [Fact]
    public void Oci_Build_takes_over_PublishContainer_unless_EnableOciBuild_is_false()
    {
        using (var on = new EvaluatedProject(Console, new Dictionary<string, string> { ["ContainerBaseImage"] = "scratch" }))
            Assert.Equal("false", on.Property("EnableSdkContainerSupport")); // the SDK's PublishContainer is skipped, OciPublishContainer runs after it
        using var off = new EvaluatedProject(Console, new Dictionary<string, string> { ["EnableOciBuild"] = "false" }, target: "ComputeContainerConfig");
        Assert.Equal("true", off.Property("EnableSdkContainerSupport"));
        Assert.True(off.Succeeded, off.Output);
    }

    [Fact]
    public void Encryption_with_Docker_media_types_is_refused_before_anything_is_built()
    {
        using var evaluated = new EvaluatedProject(Console, new Dictionary<string, string>
        {
            ["ContainerBaseImage"] = "scratch", ["ContainerEncrypt"] = "true", ["ContainerImageFormat"] = "Docker",
        });
        Assert.False(evaluated.Succeeded);
        Assert.Contains("error OCI1041", evaluated.Output);
    }
}
