using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Oci.Build.Bundles;
using Oci.Build.Oci;

namespace Oci.Build.Tasks;

/// <summary>
/// Writes bundle.json for the images of a release. Glue only: resolves each item to a descriptor (built images from their
/// layout, ContainerBundleImage items and an existing invocation image from their registry), then <see cref="BundleComposer"/>.
/// </summary>
public sealed class WriteCnabBundle : OciTask
{
    [Required] public string BundlePath { get; set; } = "";
    [Required] public string Name { get; set; } = "";
    [Required] public string Version { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    public string? Description { get; set; }
    public string[] Keywords { get; set; } = [];
    /// <summary>Built images (GeneratedContainer items): Identity = name, metadata BundleComponent, LayoutPath, Tags.</summary>
    public ITaskItem[] Components { get; set; } = [];
    /// <summary>ContainerBundleImage items: Identity = component name, metadata Image (a registry reference), Description.</summary>
    public ITaskItem[] ExternalImages { get; set; } = [];
    /// <summary>The built invocation image (same metadata as a GeneratedContainer item)...</summary>
    public ITaskItem? InvocationImage { get; set; }
    /// <summary>...or an existing one, by registry reference (ContainerBundleInvocationImage).</summary>
    public string? InvocationImageReference { get; set; }
    public string? RegistriesConfig { get; set; }
    public string? HostsDirectory { get; set; }
    public string? NameDelegation { get; set; }

    [Output] public ITaskItem? GeneratedBundle { get; private set; }
    /// <summary>The bundle's images this build has in local layouts (Identity = the image string, metadata LayoutPath): relocation reads them there.</summary>
    [Output] public ITaskItem[] ImageLayouts { get; private set; } = [];

    protected override void Run()
    {
        var registrySettings = RegistryTaskSettings.Create(CacheDirectory, RegistriesConfig, HostsDirectory, NameDelegation);
        var layouts = new Dictionary<string, string>(StringComparer.Ordinal);
        var images = Components.Select(c => Built(c, layouts)).ToList();
        foreach (var item in ExternalImages)
        {
            var reference = NullIfEmpty(item.GetMetadata("Image"))
                ?? throw new OciException(ErrorCodes.BundleImageUnresolvable,
                    $"ContainerBundleImage '{item.ItemSpec}' has no Image metadata: <ContainerBundleImage Include=\"{item.ItemSpec}\" Image=\"registry/repository:tag\" />.");
            images.Add(new BundleImageInput(item.ItemSpec, reference, BundleImageSources.FromRegistry(reference, registrySettings, this), item.GetMetadata("Description")));
        }

        BundleImageInput invocation;
        if (NullIfEmpty(InvocationImageReference) is { } existing)
            invocation = new BundleImageInput("invocation", existing, BundleImageSources.FromRegistry(existing, registrySettings, this));
        else if (InvocationImage is not null)
            invocation = Built(InvocationImage, layouts);
        else
            throw new OciException(ErrorCodes.InvalidBundleSetting, "A bundle needs an invocation image: build one (the default) or name one with ContainerBundleInvocationImage.");

        var bundle = BundleComposer.Compose(new BundleRequest
        {
            Name = Name,
            Version = Version,
            Description = NullIfEmpty(Description),
            Keywords = Keywords.Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).ToList(),
            InvocationImage = invocation,
            Images = images,
        });
        var bytes = BundleJson.Write(bundle, BundlePath);
        var digest = Digest.Of(bytes);
        Log.LogMessage(MessageImportance.High, $"Bundle {bundle.Name} {bundle.Version} -> {BundlePath} ({bytes.Length} bytes, {digest})");
        foreach (var (role, image) in bundle.AllImages())
            Log.LogMessage(MessageImportance.High, $"  {role,-20} {image.Image}");

        var result = new TaskItem(BundlePath);
        result.SetMetadata("BundleName", bundle.Name);
        result.SetMetadata("BundleVersion", bundle.Version);
        result.SetMetadata("Digest", digest.ToString());
        result.SetMetadata("Size", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        result.SetMetadata("InvocationImage", bundle.InvocationImages[0].Image);
        result.SetMetadata("Images", string.Join(";", bundle.AllImages().Select(i => i.Image.Image)));
        GeneratedBundle = result;
        ImageLayouts = bundle.AllImages().Select(i => i.Image.Image).Distinct()
            .Where(image => layouts.ContainsKey(StripDigest(image)))
            .Select(image =>
            {
                var item = new TaskItem(image);
                item.SetMetadata("LayoutPath", layouts[StripDigest(image)]);
                return (ITaskItem)item;
            }).ToArray();
    }

    /// <summary>An image this build wrote: named by its first tag, described by its layout's index.json.</summary>
    private static string StripDigest(string image) => image.Contains('@') ? image[..image.IndexOf('@')] : image;

    private static BundleImageInput Built(ITaskItem item, Dictionary<string, string> layouts)
    {
        var tag = item.GetMetadata("Tags").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        var layout = item.GetMetadata("LayoutPath");
        if (layout.Length == 0)
            throw new OciException(ErrorCodes.BundleImageMissing, $"The image {item.ItemSpec} has no layout (LayoutPath metadata); it cannot be put into the bundle.");
        var descriptor = BundleImageSources.FromLayout(layout, tag);
        var reference = tag is null ? item.ItemSpec : $"{item.ItemSpec}:{tag}";
        layouts[reference] = layout;
        var name = item.GetMetadata("BundleComponent") is { Length: > 0 } component ? component : item.ItemSpec.Split('/')[^1];
        return new BundleImageInput(name, reference, descriptor);
    }
}
