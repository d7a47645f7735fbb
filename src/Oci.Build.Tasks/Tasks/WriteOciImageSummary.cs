using Microsoft.Build.Framework;
using Oci.Build.Images;

namespace Oci.Build.Tasks;

/// <summary>Writes the JSON summary of the final layout (after encryption, if any) beside it.</summary>
public sealed class WriteOciImageSummary : OciTask
{
    [Required] public ITaskItem Image { get; set; } = null!;
    [Required] public string SummaryPath { get; set; } = "";
    public string? ArchivePath { get; set; }

    protected override void Run()
    {
        var layerNames = Image.GetMetadata("LayerNames").Split(';', StringSplitOptions.RemoveEmptyEntries);
        ImageSummary.Write(SummaryPath, Image.ItemSpec, Image.GetMetadata("LayoutPath"), layerNames, NullIfEmpty(ArchivePath));
    }
}
