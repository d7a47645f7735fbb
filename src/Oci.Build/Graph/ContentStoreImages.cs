using Oci.Build.Store;
using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>
/// The local content store (<see cref="ContentStore"/>'s blobs, content-addressed) as a source: manifests, configs and
/// layers by digest, verified again on every read. It has no tags: roots are given by digest.
/// </summary>
public sealed class ContentStoreSource(ContentStore store, string? description = null) : IImageSource
{
    public string Description => description ?? $"the content store {store.Root}";

    public Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken)
    {
        if (!Digest.TryParse(reference, out var digest) || !Has(digest, null))
            throw new OciException(ErrorCodes.ImageNotFound, $"{Description} has no manifest '{reference}'; the content store is addressed by digest only.");
        var content = File.ReadAllBytes(store.BlobPath(digest));
        if (Digest.Of(content) != digest)
            throw new OciException(ErrorCodes.DigestMismatch, $"The stored manifest {digest} is corrupt; delete '{store.BlobPath(digest)}' and build again.");
        return Task.FromResult(new Descriptor { MediaType = MediaTypes.DetectManifest(content), Digest = digest, Size = content.Length });
    }

    public async Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidDocument, $"The manifest {descriptor.Digest} claims {descriptor.Size} bytes; documents over {OciJson.MaxDocumentSize} bytes are refused.");
        await using var stream = await OpenBlobAsync(descriptor, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream((int)descriptor.Size);
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (!Has(descriptor.Digest, descriptor.Size))
            throw new OciException(ErrorCodes.ImageNotFound, $"{Description} does not hold {descriptor.Digest}.");
        var file = new FileStream(store.BlobPath(descriptor.Digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Task.FromResult<Stream>(new VerifyingReadStream(file, descriptor.Digest, descriptor.Size, $"Stored blob {descriptor.Digest}"));
    }

    public Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken) => Task.FromResult(Has(descriptor.Digest, descriptor.Size));

    public string? TryGetBlobPath(Digest digest) => store.TryGetBlobPath(digest);

    /// <summary>The store's files are sealed (<see cref="ContentStore.Has"/> checks the seal, or the bytes when it is broken).</summary>
    public string? TryGetSealedBlobPath(Digest digest) => store.TryGetBlobPath(digest);

    public bool Has(Digest digest, long? size) => store.Has(digest, size);

    public void Dispose()
    {
    }
}

/// <summary>
/// The local content store as a sink: what a pull writes. A blob is streamed into a temporary file inside the store,
/// verified on the way, and moved into place only when its digest and size are right, so bad content is never stored.
/// Tags mean nothing here (the store is addressed by digest).
/// </summary>
public sealed class ContentStoreSink(ContentStore store, IBuildLog? log = null) : IImageSink
{
    public string Description => $"the content store {store.Root}";

    public async Task<BlobPushResult> PutBlobAsync(BlobContent blob, CancellationToken cancellationToken)
    {
        var descriptor = blob.Descriptor;
        if (Has(descriptor)) return new BlobPushResult(descriptor, BlobOutcome.Existed, 0);
        var temp = store.NewTempFile();
        try
        {
            var progress = log is not null && descriptor.Size >= 16L << 20 ? new Registry.Transfer.TransferProgress(log, "pulling", descriptor.Digest, descriptor.Size) : null;
            await using (var input = await blob.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                // A source that reads through this store (StoreFirstSource) stores what it fetches: then it is here now.
                if (Has(descriptor))
                {
                    File.Delete(temp);
                    return new BlobPushResult(descriptor, BlobOutcome.Uploaded, descriptor.Size);
                }
                await using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                var buffer = new byte[1 << 17];
                int read;
                // The last read (end of stream) throws when the digest or size is wrong: nothing reaches the store then.
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    progress?.Advance(read);
                }
            }
            progress?.Finish(descriptor.Size);
            store.Store(temp, descriptor.Digest);
            return new BlobPushResult(descriptor, BlobOutcome.Uploaded, descriptor.Size);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private bool Has(Descriptor descriptor) => store.Has(descriptor.Digest, descriptor.Size);

    public Task<bool> PutManifestAsync(Descriptor descriptor, byte[] content, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
    {
        if (Digest.Of(content, descriptor.Digest.Algorithm) != descriptor.Digest || content.Length != descriptor.Size)
            throw new OciException(ErrorCodes.DigestMismatch, $"The manifest given for {descriptor.Digest} is not the document that digest names.");
        if (Has(descriptor)) return Task.FromResult(false);
        var temp = store.NewTempFile();
        File.WriteAllBytes(temp, content);
        store.Store(temp, descriptor.Digest);
        return Task.FromResult(true);
    }

    public Task CommitAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
    }
}
