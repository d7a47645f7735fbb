using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>Base images from an OCI layout directory: <c>oci:DIR[:TAG]</c>.</summary>
public sealed class LayoutBaseImageProvider(string baseDirectory) : IBaseImageProvider
{
    public bool Handles(string spec) => spec.StartsWith(ImageLocation.LayoutPrefix, StringComparison.Ordinal);

    public BaseImage Resolve(string spec, Platform platform, CancellationToken cancellationToken = default)
    {
        var location = ImageLocation.Parse(spec, baseDirectory);
        return FromLayout(OciLayout.Open(location.Path), location.Reference, platform);
    }

    internal static BaseImage FromLayout(OciLayout layout, string? tag, Platform platform, IDisposable? owner = null)
    {
        var entry = layout.FindManifest(tag);
        var (descriptor, manifest, config) = ManifestSelector.Select(layout, entry, platform);
        // A local base has no registry name, and its path is machine-specific: recording it would make the image digest
        // depend on where the repository was cloned. Only the digest is recorded for it.
        return new BaseImage(null, descriptor, manifest, config, layout, owner);
    }
}
