using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>
/// A source another owner opened and disposes: every call goes through, the disposal does not. Lets one open source
/// (an archive read once) be handed to code that disposes what it is given.
/// </summary>
internal sealed class BorrowedSource(IImageSource inner) : IImageSource
{
    public string Description => inner.Description;
    public Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken) => inner.ResolveAsync(reference, cancellationToken);
    public Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken) => inner.ReadManifestAsync(descriptor, cancellationToken);
    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken) => inner.OpenBlobAsync(descriptor, cancellationToken);
    public Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken) => inner.HasAsync(descriptor, cancellationToken);
    public string? TryGetBlobPath(Digest digest) => inner.TryGetBlobPath(digest);
    public Func<Stream>? TryGetSeekableBlob(Descriptor descriptor) => inner.TryGetSeekableBlob(descriptor);
    public string? TryGetSealedBlobPath(Digest digest) => inner.TryGetSealedBlobPath(digest);
    public BlobFileRange? TryGetBlobRange(Digest digest) => inner.TryGetBlobRange(digest);
    public Task<Descriptor?> TryResolveTagAsync(string tag, CancellationToken cancellationToken) => inner.TryResolveTagAsync(tag, cancellationToken);

    public void Dispose()
    {
    }
}
