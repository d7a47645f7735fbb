using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>Base images from an OCI archive: <c>oci-archive:FILE[:TAG]</c>, read in place (nothing is extracted).</summary>
public sealed class ArchiveBaseImageProvider(string baseDirectory) : IBaseImageProvider
{
    public bool Handles(string spec) => spec.StartsWith(ImageLocation.ArchivePrefix, StringComparison.Ordinal);

    public BaseImage Resolve(string spec, Platform platform, CancellationToken cancellationToken = default)
    {
        var location = ImageLocation.Parse(spec, baseDirectory);
        var source = ArchiveSource.Open(location.Path);
        try
        {
            var entry = source.ResolveAsync(location.Reference, CancellationToken.None).GetAwaiter().GetResult();
            var blobs = new ImageSourceBlobs(source);
            var (descriptor, manifest, config) = ManifestSelector.Select(blobs, entry, platform);
            // As for layouts: a local base is recorded by digest only (its path is machine-specific).
            return new BaseImage(null, descriptor, manifest, config, blobs, source);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }
}
