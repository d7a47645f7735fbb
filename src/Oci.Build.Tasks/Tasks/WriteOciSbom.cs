using Microsoft.Build.Framework;
using Oci.Build.Oci;
using Oci.Build.Sbom;

namespace Oci.Build.Tasks;

/// <summary>Makes the image's SPDX SBOM and attaches it in its layout (ContainerSbom=true). Glue only: see <see cref="ImageSbom"/>.</summary>
public sealed class WriteOciSbom : OciTask
{
    [Required] public string LayoutPath { get; set; } = "";
    [Required] public string ManifestDigest { get; set; } = "";
    [Required] public string AssetsFile { get; set; } = "";
    [Required] public string TargetFramework { get; set; } = "";
    public string? RuntimeIdentifier { get; set; }
    /// <summary>The SDK's ResolvedRuntimePack items (NuGetPackageId, NuGetPackageVersion metadata).</summary>
    public ITaskItem[] RuntimePacks { get; set; } = [];
    [Required] public string AppName { get; set; } = "";
    public string? AppVersion { get; set; }
    [Required] public string ImageName { get; set; } = "";
    public string[] Tags { get; set; } = [];

    protected override void Run()
    {
        if (!Digest.TryParse(ManifestDigest.Trim(), out var digest))
            throw new OciException(ErrorCodes.SbomUnavailable, $"'{ManifestDigest}' is not the image's manifest digest; the SBOM needs the image first.");
        ImageSbom.Attach(new ImageSbomRequest
        {
            LayoutPath = LayoutPath,
            ManifestDigest = digest,
            AssetsFile = AssetsFile,
            TargetFramework = TargetFramework,
            RuntimeIdentifier = NullIfEmpty(RuntimeIdentifier),
            RuntimePacks = RuntimePacks
                .Select(p => (Id: p.GetMetadata("NuGetPackageId") is { Length: > 0 } id ? id : p.ItemSpec, Version: p.GetMetadata("NuGetPackageVersion")))
                .Where(p => p.Version.Length > 0).ToList(),
            AppName = AppName,
            AppVersion = NullIfEmpty(AppVersion),
            ImageName = ImageName,
            ImageTag = Tags.Select(t => t.Trim()).FirstOrDefault(t => t.Length > 0),
        }, this);
    }
}
