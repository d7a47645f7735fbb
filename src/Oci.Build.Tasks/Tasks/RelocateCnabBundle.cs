using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Oci.Build.Bundles;
using Oci.Build.Oci;

namespace Oci.Build.Tasks;

/// <summary>Relocates a bundle's images (ContainerRelocationRegistry, -t:OciRelocate). Glue only: see <see cref="BundleRelocator"/>.</summary>
public sealed class RelocateCnabBundle : OciTask
{
    [Required] public string BundlePath { get; set; } = "";
    [Required] public string Target { get; set; } = "";
    [Required] public string MappingPath { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    /// <summary>Prefix (default) or Flat.</summary>
    public string? Naming { get; set; }
    /// <summary>Images of the bundle this build has in local layouts: Identity = the image string, metadata LayoutPath.</summary>
    public ITaskItem[] ImageLayouts { get; set; } = [];
    public string? RegistriesConfig { get; set; }
    public string? HostsDirectory { get; set; }
    public string? NameDelegation { get; set; }
    public int Parallelism { get; set; } = 3;

    [Output] public ITaskItem? GeneratedRelocationMapping { get; private set; }

    protected override void Run()
    {
        var naming = NullIfEmpty(Naming)?.ToLowerInvariant() switch
        {
            null or "prefix" => RelocationNaming.Prefix,
            "flat" => RelocationNaming.Flat,
            _ => throw new OciException(ErrorCodes.InvalidBundleSetting, $"ContainerRelocationNaming '{Naming}' must be Prefix or Flat."),
        };
        var settings = RegistryTaskSettings.Create(CacheDirectory, RegistriesConfig, HostsDirectory, NameDelegation);
        var result = new BundleRelocator(settings, this).Relocate(new RelocationRequest
        {
            Bundle = BundleJson.Read(BundlePath),
            Target = RelocationTarget.Parse(Target),
            Naming = naming,
            Sources = new BundleImageSourceMap { Layouts = ImageLayouts.GroupBy(i => i.ItemSpec).ToDictionary(g => g.Key, g => g.First().GetMetadata("LayoutPath")) },
            MappingPath = MappingPath,
            Parallelism = Math.Clamp(Parallelism, 1, 16),
        }, Cancellation);
        var item = new TaskItem(MappingPath);
        item.SetMetadata("Registry", Target);
        item.SetMetadata("Images", result.Images.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        item.SetMetadata("BytesSent", result.BytesSent.ToString(System.Globalization.CultureInfo.InvariantCulture));
        GeneratedRelocationMapping = item;
    }
}
