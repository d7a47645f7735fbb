using Microsoft.Build.Framework;
using Oci.Build.Images;
using Oci.Build.Oci;

namespace Oci.Build.Tasks;

/// <summary>Writes the JSON summary of the final layout (after encryption, if any) beside it.</summary>
public sealed class WriteOciImageSummary : OciTask
{
    [Required] public ITaskItem Image { get; set; } = null!;
    [Required] public string SummaryPath { get; set; } = "";
    public string? ArchivePath { get; set; }
    /// <summary>Multi-platform output: each platform's own image item (metadata <c>ManifestDigest</c>, <c>LayerNames</c>).</summary>
    public ITaskItem[] PlatformImages { get; set; } = [];

    protected override void Run()
    {
        var layerNames = Image.GetMetadata("LayerNames").Split(';', StringSplitOptions.RemoveEmptyEntries);
        var platformLayerNames = PlatformImages.ToDictionary(
            i => Digest.Parse(i.GetMetadata("ManifestDigest")),
            i => (IReadOnlyList<string>)i.GetMetadata("LayerNames").Split(';', StringSplitOptions.RemoveEmptyEntries));
        ImageSummary.Write(SummaryPath, Image.ItemSpec, Image.GetMetadata("LayoutPath"), layerNames, NullIfEmpty(ArchivePath), platformLayerNames);
    }
}
