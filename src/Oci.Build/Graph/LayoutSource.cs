using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>An OCI image layout directory as a source (<c>oci:DIR[:TAG]</c>): manifests and blobs are files under blobs/.</summary>
public sealed class LayoutSource(OciLayout layout) : IImageSource
{
    public OciLayout Layout => layout;

    public string Description => layout.Description;

    public Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken) =>
        Task.FromResult(layout.FindManifest(reference));

    public Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        Task.FromResult(layout.ReadDocument(descriptor, MediaTypes.IsIndex(descriptor.MediaType) ? "image index" : "image manifest"));

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken) => Task.FromResult(layout.OpenBlob(descriptor));

    public Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken) => Task.FromResult(layout.HasBlob(descriptor.Digest));

    public string? TryGetBlobPath(Digest digest) => layout.TryGetBlobPath(digest);

    public void Dispose()
    {
    }
}
