using Oci.Build.Oci;

namespace Oci.Build.Layers;

public enum LayeringMode { Layered, Single }

/// <summary>A user-defined layer: a name and the globs over the publish folder that it takes.</summary>
public sealed record CustomLayer(string Name, IReadOnlyList<Glob> Globs);

/// <summary>
/// Decides which published file goes into which layer, ordered from least to most often changing:
/// runtime, packages, project references, custom layers (in the order given), resources, app. Empty layers are dropped.
/// This is the plan only; <see cref="LayerBuilder"/> turns it into blobs.
/// </summary>
public static class PublishLayerPlanner
{
    public const string RuntimeLayer = "runtime";
    public const string PackagesLayer = "packages";
    public const string ProjectsLayer = "projects";
    public const string ResourcesLayer = "resources";
    public const string AppLayer = "app";

    /// <param name="publishDirectory">The publish folder; every file in it ends up in exactly one layer.</param>
    /// <param name="classified">What the build knows about published files, by relative path; unknown files are app files.</param>
    /// <param name="appDirectory">Where the publish folder goes in the image, e.g. <c>/app</c>.</param>
    public static IReadOnlyList<LayerSpec> Plan(string publishDirectory, IReadOnlyDictionary<string, PublishedFileKind> classified,
        LayeringMode mode, IReadOnlyList<CustomLayer> customLayers, string appDirectory)
    {
        if (!Directory.Exists(publishDirectory))
            throw new OciException(ErrorCodes.PublishFolder, $"The publish folder '{publishDirectory}' does not exist; run the publish first.");
        ValidateCustomLayers(customLayers);

        var root = LayerEntry.NormalizePath(appDirectory);
        var buckets = new Dictionary<string, List<LayerEntry>>(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(publishDirectory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(path => (Path: path, Relative: Path.GetRelativePath(publishDirectory, path).Replace('\\', '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal);
        foreach (var (path, relative) in files)
        {
            var layer = mode == LayeringMode.Single ? AppLayer : LayerFor(relative, classified, customLayers);
            var entry = LayerEntry.FromFile($"{root}/{relative}", path);
            if (new FileInfo(path).LinkTarget is { } target)
                entry = entry with { Kind = LayerEntryKind.Symlink, LinkTarget = target, Size = 0, SourcePath = null };
            if (!buckets.TryGetValue(layer, out var list)) buckets[layer] = list = [];
            list.Add(entry);
        }

        var order = new List<string> { RuntimeLayer, PackagesLayer, ProjectsLayer };
        order.AddRange(customLayers.Select(c => c.Name));
        order.Add(ResourcesLayer);
        order.Add(AppLayer);
        return order.Where(buckets.ContainsKey).Select(name => new LayerSpec(name, buckets[name])).ToList();
    }

    private static string LayerFor(string relative, IReadOnlyDictionary<string, PublishedFileKind> classified, IReadOnlyList<CustomLayer> customLayers)
    {
        foreach (var custom in customLayers)
        {
            if (custom.Globs.Any(g => g.IsMatch(relative))) return custom.Name;
        }
        return classified.TryGetValue(relative, out var kind)
            ? kind switch
            {
                PublishedFileKind.Runtime => RuntimeLayer,
                PublishedFileKind.Package => PackagesLayer,
                PublishedFileKind.ProjectReference => ProjectsLayer,
                PublishedFileKind.Resource => ResourcesLayer,
                _ => AppLayer,
            }
            : AppLayer;
    }

    private static void ValidateCustomLayers(IReadOnlyList<CustomLayer> customLayers)
    {
        var reserved = new[] { RuntimeLayer, PackagesLayer, ProjectsLayer, ResourcesLayer, AppLayer, "base" };
        foreach (var layer in customLayers)
        {
            if (string.IsNullOrWhiteSpace(layer.Name) || reserved.Contains(layer.Name, StringComparer.OrdinalIgnoreCase))
                throw new OciException(ErrorCodes.InvalidSetting,
                    $"ContainerLayer '{layer.Name}': choose a name other than {string.Join(", ", reserved)}.");
            if (layer.Globs.Count == 0)
                throw new OciException(ErrorCodes.InvalidSetting, $"ContainerLayer '{layer.Name}' has no Glob metadata; add Glob=\"wwwroot/**\" or similar.");
        }
        var duplicate = customLayers.GroupBy(l => l.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new OciException(ErrorCodes.InvalidSetting, $"ContainerLayer '{duplicate.Key}' is defined more than once.");
    }
}
