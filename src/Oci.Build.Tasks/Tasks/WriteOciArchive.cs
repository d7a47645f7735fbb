using Microsoft.Build.Framework;
using Oci.Build.Graph;

namespace Oci.Build.Tasks;

/// <summary>Writes an OCI archive (a reproducible tar of a layout) for <c>ContainerArchiveOutputPath</c>.</summary>
public sealed class WriteOciArchive : OciTask
{
    [Required] public string LayoutPath { get; set; } = "";
    [Required] public string ArchivePath { get; set; } = "";
    public string? SourceDateEpoch { get; set; }
    public string? Created { get; set; }
    /// <summary>The image name (repository, with registry when pushing): the archive names its image <c>NAME:FIRSTTAG</c>.</summary>
    public string? ImageName { get; set; }

    protected override void Run()
    {
        ImageArchive.Write(LayoutPath, ArchivePath, TimestampSetting.Resolve(SourceDateEpoch, Created).ToUnixTimeSeconds(), NullIfEmpty(ImageName));
        ((Oci.IBuildLog)this).Info($"  archive: {Path.GetFullPath(ArchivePath)}");
    }
}
