using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>
/// A remote source read through the content store: what the store holds is read from it (verified), the rest comes
/// from the remote and is stored on the way (verified first). So an image pinned by digest, once pulled, is read again
/// without the network, and nothing unverified is ever stored.
/// </summary>
public sealed class StoreFirstSource(IImageSource remote, ContentStoreSource store, ContentStoreSink sink) : IImageSource
{
    public string Description => remote.Description;

    public Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken) =>
        Digest.TryParse(reference, out var digest) && store.Has(digest, null)
            ? store.ResolveAsync(reference, cancellationToken)
            : remote.ResolveAsync(reference, cancellationToken);

    public async Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (store.Has(descriptor.Digest, descriptor.Size)) return await store.ReadManifestAsync(descriptor, cancellationToken).ConfigureAwait(false);
        var content = await remote.ReadManifestAsync(descriptor, cancellationToken).ConfigureAwait(false);
        await sink.PutManifestAsync(descriptor, content, null, cancellationToken).ConfigureAwait(false);
        return content;
    }

    /// <summary>A blob from the store; one it lacks is fetched into it first (verified), so nothing is downloaded twice.</summary>
    public async Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (!store.Has(descriptor.Digest, descriptor.Size))
            await sink.PutBlobAsync(BlobContent.From(remote, descriptor), cancellationToken).ConfigureAwait(false);
        return await store.OpenBlobAsync(descriptor, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        store.Has(descriptor.Digest, descriptor.Size) || await remote.HasAsync(descriptor, cancellationToken).ConfigureAwait(false);

    public string? TryGetBlobPath(Digest digest) => store.TryGetBlobPath(digest);

    public string? TryGetSealedBlobPath(Digest digest) => store.TryGetSealedBlobPath(digest);

    public void Dispose() => remote.Dispose();
}
