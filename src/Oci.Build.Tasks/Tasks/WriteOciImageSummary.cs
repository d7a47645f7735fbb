using Microsoft.Build.Framework;
using Oci.Build.Images;

namespace Oci.Build.Tasks;

/// <summary>Writes the JSON summary of the final image (after encryption, if any) from its build result (metadata <c>ResultPath</c>).</summary>
public sealed class WriteOciImageSummary : OciTask
{
    [Required] public ITaskItem Image { get; set; } = null!;
    [Required] public string SummaryPath { get; set; } = "";
    public string? ArchivePath { get; set; }
    /// <summary>Multi-platform output: each platform's own image item (metadata <c>ResultPath</c>).</summary>
    public ITaskItem[] PlatformImages { get; set; } = [];

    protected override void Run()
    {
        var resultPath = Image.GetMetadata("ResultPath");
        if (PlatformImages.Length == 0)
            ImageSummary.Write(SummaryPath, BuildResultFile.ReadImage(resultPath), NullIfEmpty(ArchivePath));
        else
            ImageSummary.Write(SummaryPath, BuildResultFile.ReadIndex(resultPath),
                PlatformImages.Select(i => BuildResultFile.ReadImage(i.GetMetadata("ResultPath"))).ToList(), NullIfEmpty(ArchivePath));
    }
}
