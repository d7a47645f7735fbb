using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Oci.Build.Images;
using Oci.Build.Oci;

namespace Oci.Build.Tasks;

/// <summary>
/// Multi-platform output, last step: combines the per-platform images (the <c>GeneratedContainer</c> items of the
/// per-runtime-identifier publishes, metadata <c>LayoutPath</c> and <c>RuntimeIdentifier</c>) into one image index in
/// <c>LayoutPath</c>, tagged with every tag. Glue only: see <see cref="PlatformIndexBuilder"/>.
/// </summary>
public sealed class BuildOciImageIndex : OciTask
{
    [Required] public ITaskItem[] PlatformImages { get; set; } = [];
    [Required] public string Repository { get; set; } = "";
    [Required] public string LayoutPath { get; set; } = "";
    public string[] Tags { get; set; } = [];
    public string? Registry { get; set; }
    /// <summary>Where the index's build result goes (obj/), for the summary.</summary>
    public string? ResultPath { get; set; }

    /// <summary>The index, as <c>GeneratedContainer</c>: <c>ManifestDigest</c> is the index's, <c>Platforms</c>,
    /// <c>RuntimeIdentifiers</c> and <c>PlatformManifestDigests</c> list the platforms in the same order.</summary>
    [Output] public ITaskItem? GeneratedContainer { get; private set; }

    protected override void Run()
    {
        // Named as a single image is (ImageSettings.Name): with the registry when the image is pushed.
        var repository = ImageSettingValues.Repository(Repository);
        var name = NullIfEmpty(Registry) is { } registry ? $"{registry}/{repository}" : repository;
        var tags = ImageSettingValues.Tags(Tags);
        var images = PlatformImages.Select(i => new PlatformImage(i.GetMetadata("RuntimeIdentifier"), i.GetMetadata("LayoutPath"))).ToList();
        var result = PlatformIndexBuilder.Build(name, tags, images, LayoutPath);

        var log = (IBuildLog)this;
        foreach (var platform in result.Platforms)
            log.Info($"  {platform.Platform,-16} {platform.Manifest.Digest}  ({platform.RuntimeIdentifier})");
        log.Info($"Image index {string.Join(", ", result.References)} -> {result.Index.Digest}");
        log.Info($"  layout:  {result.LayoutPath}");

        var item = new TaskItem(result.Name);
        item.SetMetadata("ManifestDigest", result.Index.Digest.ToString());
        item.SetMetadata("MediaType", result.Index.MediaType);
        item.SetMetadata("LayoutPath", result.LayoutPath);
        item.SetMetadata("Repository", result.Name);
        item.SetMetadata("Registry", NullIfEmpty(Registry) ?? "");
        item.SetMetadata("Tags", string.Join(";", result.Tags));
        item.SetMetadata("Platforms", string.Join(";", result.Platforms.Select(p => p.Platform.ToString())));
        item.SetMetadata("RuntimeIdentifiers", string.Join(";", result.Platforms.Select(p => p.RuntimeIdentifier)));
        item.SetMetadata("PlatformManifestDigests", string.Join(";", result.Platforms.Select(p => p.Manifest.Digest.ToString())));
        if (NullIfEmpty(ResultPath) is { } resultPath)
        {
            BuildResultFile.Write(resultPath, result);
            item.SetMetadata("ResultPath", Path.GetFullPath(resultPath));
        }
        GeneratedContainer = item;
    }
}
