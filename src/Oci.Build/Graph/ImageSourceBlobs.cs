using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>
/// Any <see cref="IImageSource"/> seen through the older, synchronous <see cref="IBlobSource"/> that image building
/// reads base images with (manifests still go through the source's manifest path).
/// </summary>
public sealed class ImageSourceBlobs(IImageSource source) : IBlobSource
{
    public string Description => source.Description;

    public Stream OpenBlob(Descriptor descriptor) => source.OpenBlobAsync(descriptor, CancellationToken.None).GetAwaiter().GetResult();

    public string? TryGetBlobPath(Digest digest) => source.TryGetBlobPath(digest);

    public string? TryGetSealedBlobPath(Digest digest) => source.TryGetSealedBlobPath(digest);

    public byte[] ReadManifest(Descriptor descriptor, string what) => source.ReadManifestAsync(descriptor, CancellationToken.None).GetAwaiter().GetResult();
}
