using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

public class LayerPlanningTests : IDisposable
{
    private readonly TempDirectory _publish = new("publish");
    private static readonly HashSet<string> RuntimePacks = new(StringComparer.OrdinalIgnoreCase) { "Microsoft.NETCore.App.Runtime.linux-x64" };

    public void Dispose() => _publish.Dispose();

    [Theory]
    [InlineData("Microsoft.NETCore.App.Runtime.linux-x64", "", "", PublishedFileKind.Runtime)]
    [InlineData("Microsoft.AspNetCore.App.Runtime.linux-x64", "", "", PublishedFileKind.Runtime)] // recognised by name even when not listed
    [InlineData("Newtonsoft.Json", "", "", PublishedFileKind.Package)]
    [InlineData("", "ProjectReference", "", PublishedFileKind.ProjectReference)]
    [InlineData("", "", "/src/Lib/Lib.csproj", PublishedFileKind.ProjectReference)]
    [InlineData("", "", "", PublishedFileKind.App)]
    public void Classifies_from_publish_item_metadata(string packageId, string referenceSource, string sourceProject, PublishedFileKind expected)
    {
        Assert.Equal(expected, PublishedFile.Classify(packageId, referenceSource, sourceProject, RuntimePacks));
        // Copied as it is (a Content item): a resource, unless a package or another project brought it.
        Assert.Equal(expected == PublishedFileKind.App ? PublishedFileKind.Resource : expected,
            PublishedFile.Classify(packageId, referenceSource, sourceProject, RuntimePacks, copiedAsIs: true));
    }

    private void Publish(params string[] files)
    {
        foreach (var file in files)
        {
            var path = _publish.Combine(file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file);
        }
    }

    private static readonly Dictionary<string, PublishedFileKind> Known = new()
    {
        ["libcoreclr.so"] = PublishedFileKind.Runtime,
        ["System.Private.CoreLib.dll"] = PublishedFileKind.Runtime,
        ["Newtonsoft.Json.dll"] = PublishedFileKind.Package,
        ["Lib.dll"] = PublishedFileKind.ProjectReference,
        ["App.dll"] = PublishedFileKind.App,
    };

    [Fact]
    public void Layered_plan_orders_layers_from_least_to_most_changing_and_puts_unknown_files_in_app()
    {
        Publish("libcoreclr.so", "System.Private.CoreLib.dll", "Newtonsoft.Json.dll", "Lib.dll", "App.dll", "appsettings.json", "wwwroot/site.css", "assets/model.bin");
        var known = new Dictionary<string, PublishedFileKind>(Known) { ["assets/model.bin"] = PublishedFileKind.Resource };
        var plan = PublishLayerPlanner.Plan(_publish.Path, known, LayeringMode.Layered, [], "/app");

        Assert.Equal(["runtime", "packages", "projects", "resources", "app"], plan.Select(l => l.Name));
        Assert.Equal(["app/System.Private.CoreLib.dll", "app/libcoreclr.so"], plan[0].Entries.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal(["app/assets/model.bin"], plan[3].Entries.Select(e => e.Path));
        Assert.Equal(["app/App.dll", "app/appsettings.json", "app/wwwroot/site.css"], plan[4].Entries.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Empty_layers_are_not_planned()
    {
        Publish("App.dll", "libcoreclr.so");
        var plan = PublishLayerPlanner.Plan(_publish.Path, Known, LayeringMode.Layered, [], "/app");
        Assert.Equal(["runtime", "app"], plan.Select(l => l.Name));
    }

    [Fact]
    public void Single_layering_puts_everything_in_one_layer()
    {
        Publish("libcoreclr.so", "Newtonsoft.Json.dll", "App.dll");
        var plan = PublishLayerPlanner.Plan(_publish.Path, Known, LayeringMode.Single, [], "/srv/app");
        var layer = Assert.Single(plan);
        Assert.Equal(3, layer.Entries.Count);
        Assert.All(layer.Entries, e => Assert.StartsWith("srv/app/", e.Path));
    }

    [Fact]
    public void Custom_layers_take_their_globs_before_classification()
    {
        Publish("App.dll", "wwwroot/css/site.css", "wwwroot/js/app.js", "Newtonsoft.Json.dll");
        var custom = new CustomLayer("static", [new Glob("wwwroot/**")]);
        var plan = PublishLayerPlanner.Plan(_publish.Path, Known, LayeringMode.Layered, [custom], "/app");
        Assert.Equal(["packages", "static", "app"], plan.Select(l => l.Name));
        Assert.Equal(2, plan[1].Entries.Count);
    }

    [Theory]
    [InlineData("app")]
    [InlineData("Runtime")]
    [InlineData("resources")]
    [InlineData("")]
    public void Custom_layers_may_not_take_reserved_names(string name)
    {
        Publish("App.dll");
        var error = Assert.Throws<OciException>(() =>
            PublishLayerPlanner.Plan(_publish.Path, Known, LayeringMode.Layered, [new CustomLayer(name, [new Glob("*")])], "/app"));
        Assert.Equal(ErrorCodes.InvalidSetting, error.Code);
    }

    [Fact]
    public void A_missing_publish_folder_is_a_coded_error()
    {
        var error = Assert.Throws<OciException>(() =>
            PublishLayerPlanner.Plan(_publish.Combine("nope"), Known, LayeringMode.Layered, [], "/app"));
        Assert.Equal(ErrorCodes.PublishFolder, error.Code);
    }

    [Theory]
    [InlineData("wwwroot/**", "wwwroot/a/b/c.css", true)]
    [InlineData("wwwroot/**", "wwwrootx/a.css", false)]
    [InlineData("*.json", "appsettings.json", true)]
    [InlineData("*.json", "config/appsettings.json", false)]
    [InlineData("**/*.json", "config/appsettings.json", true)]
    [InlineData("**/*.json", "appsettings.json", true)]
    [InlineData("lib?.so", "libz.so", true)]
    public void Globs_match_relative_publish_paths(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, new Glob(pattern).IsMatch(path));
    }
}
