using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Tasks;

/// <summary>
/// Writes the thick archive of a bundle publish (ContainerThickArchive=true) and, with a part size, its parts. Glue only:
/// see <see cref="ThickArchiveWriter"/> and <see cref="ArchiveParts"/>.
/// </summary>
public sealed class WriteThickArchive : OciTask
{
    [Required] public string BundlePath { get; set; } = "";
    [Required] public string ArchivePath { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    /// <summary>Images of the bundle this build has in local layouts (WriteCnabBundle's ImageLayouts): read there, not from a registry.</summary>
    public ITaskItem[] ImageLayouts { get; set; } = [];
    public string? SourceDateEpoch { get; set; }
    public string? Created { get; set; }
    /// <summary>Gzip the outer tar (default: only when ArchivePath ends in .tgz or .tar.gz).</summary>
    public string? Compress { get; set; }
    /// <summary>ContainerThickArchivePartSize: bytes or 4.7G-style; empty: one file.</summary>
    public string? PartSize { get; set; }
    /// <summary>Tool packages carried under tools/ (ContainerArchiveIncludeTool).</summary>
    public string[] ToolPackages { get; set; } = [];
    public string? RegistriesConfig { get; set; }
    public string? HostsDirectory { get; set; }
    public string? NameDelegation { get; set; }
    public int Parallelism { get; set; } = 3;
    /// <summary>ContainerSigningKey: signs checksums.sha256 and every image not signed already (see <see cref="ThickArchiveRequest.Signer"/>).</summary>
    public string? SigningKey { get; set; }
    public string? ProjectDirectory { get; set; }
    /// <summary>ContainerArchiveBaseline: the previous archive, its .index.json or its checksums.sha256; the archive is then a delta.</summary>
    public string? Baseline { get; set; }

    [Output] public ITaskItem? GeneratedThickArchive { get; private set; }

    protected override void Run()
    {
        var bundle = BundleJson.Read(BundlePath);
        var sources = new BundleImageSourceMap { Layouts = ImageLayouts.GroupBy(i => i.ItemSpec).ToDictionary(g => g.Key, g => g.First().GetMetadata("LayoutPath")) };
        var compress = NullIfEmpty(Compress)?.ToLowerInvariant() switch
        {
            null => ArchivePath.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) || ArchivePath.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase),
            "true" => true,
            "false" => false,
            _ => throw new Oci.OciException(Oci.ErrorCodes.InvalidSetting, $"ContainerThickArchiveCompress '{Compress}' must be true or false."),
        };
        var partSize = NullIfEmpty(PartSize) is { } size ? ArchiveParts.ParseSize(size) : (long?)null;
        var settings = RegistryTaskSettings.Create(CacheDirectory, RegistriesConfig, HostsDirectory, NameDelegation);
        using var registries = new RegistryImages(settings, this, pushHost: null, pullHost: null);
        using var signer = SigningTaskSettings.Open(SigningKey, ProjectDirectory);
        var result = ThickArchiveWriter.Write(new ThickArchiveRequest
        {
            ArchivePath = ArchivePath,
            Bundle = bundle,
            Images = ThickArchiveWriter.ImagesOf(bundle, sources),
            UnixTime = TimestampSetting.Resolve(SourceDateEpoch, Created).ToUnixTimeSeconds(),
            Compress = compress,
            Tools = ThickArchiveWriter.ToolPackages(ToolPackages),
            Parallelism = Math.Clamp(Parallelism, 1, 16),
            Signer = signer,
            Baseline = NullIfEmpty(Baseline) is { } baseline ? ArchiveBaseline.Load(baseline, Cancellation) : null,
        }, registries.OpenSource, this, Cancellation);
        var item = new TaskItem(result.ArchivePath);
        item.SetMetadata("Digest", result.Digest.ToString());
        item.SetMetadata("Size", result.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        item.SetMetadata("Images", result.Images.ToString(System.Globalization.CultureInfo.InvariantCulture));
        item.SetMetadata("IndexPath", result.IndexPath);
        if (result.Delta is { } delta)
            item.SetMetadata("ExpectedBlobs", delta.Expected.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (partSize is { } bytes)
        {
            var description = ArchiveParts.Split(result.ArchivePath, bytes);
            item.SetMetadata("PartsDescription", description);
            ((Oci.IBuildLog)this).Info($"  parts: {description}");
        }
        GeneratedThickArchive = item;
    }
}
