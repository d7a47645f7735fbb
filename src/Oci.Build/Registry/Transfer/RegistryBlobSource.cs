using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry.Auth;

namespace Oci.Build.Registry.Transfer;

/// <summary>
/// Blobs of one image on a registry, through the local content cache: a blob already in the cache is read from disk
/// (verified again), a missing one is downloaded from the first location that serves it (mirrors first), verified while
/// it streams into a temporary file, and stored only when its digest and size are right. So a base pinned by digest
/// builds offline once pulled, and bad content is never cached.
/// </summary>
public sealed class RegistryBlobSource(ResolvedName name, RegistryContext context, LayerCache cache, IBuildLog log) : IBlobSource
{
    public string Description => name.Primary.ToString() == $"{name.Original.Registry}/{name.Original.Repository}"
        ? name.Original.Name
        : $"{name.Original.Name} (at {name.Primary})";

    public ResolvedName Name => name;

    public string? TryGetBlobPath(Digest digest) => IsCached(digest, null) ? cache.BlobPath(digest) : null;

    public bool IsCached(Digest digest, long? size)
    {
        var file = new FileInfo(cache.BlobPath(digest));
        return file.Exists && (size is null || file.Length == size);
    }

    public Stream OpenBlob(Descriptor descriptor)
    {
        if (!IsCached(descriptor.Digest, descriptor.Size))
            FetchAsync(descriptor, CancellationToken.None).GetAwaiter().GetResult();
        var file = new FileStream(cache.BlobPath(descriptor.Digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return new VerifyingReadStream(file, descriptor.Digest, descriptor.Size, $"Cached blob {descriptor.Digest} of {name.Original.Name}");
    }

    /// <summary>Downloads every missing blob of <paramref name="blobs"/> into the cache, a few at a time.</summary>
    public async Task PrefetchAsync(IEnumerable<Descriptor> blobs, int parallelism, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, parallelism));
        await Task.WhenAll(blobs.DistinctBy(b => b.Digest).Where(b => !IsCached(b.Digest, b.Size)).Select(async blob =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await FetchAsync(blob, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Stores a document already read and verified (a manifest fetched by tag) in the cache.</summary>
    public void StoreDocument(byte[] content, Digest digest)
    {
        if (IsCached(digest, content.Length)) return;
        var temp = cache.NewTempFile();
        File.WriteAllBytes(temp, content);
        cache.Store(temp, digest);
    }

    /// <summary>
    /// A manifest or index by digest, through <c>/manifests/&lt;digest&gt;</c> (registries do not serve them as blobs), from
    /// the cache when it holds it. Verified against the descriptor and cached, so a pinned base builds offline later.
    /// </summary>
    public byte[] ReadManifest(Descriptor descriptor, string what)
    {
        if (descriptor.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidDocument, $"The {what} {descriptor.Digest} in {Description} claims {descriptor.Size} bytes; documents over {OciJson.MaxDocumentSize} bytes are refused.");
        if (IsCached(descriptor.Digest, descriptor.Size)) return this.ReadDocument(descriptor, what);
        var content = FromFirstLocationAsync(descriptor, async (location, cancellationToken) =>
        {
            var document = await context.ClientFor(location.Endpoint)
                .GetManifestAsync(location.Repository, descriptor.Digest.ToString(), [RegistryScope.Pull(location.Repository)], cancellationToken)
                .ConfigureAwait(false);
            // GetManifestAsync checked the digest; the size is the descriptor's other half.
            if (document.Content.Length != descriptor.Size)
                throw new OciException(ErrorCodes.RegistryDigestMismatch,
                    $"{location}@{descriptor.Digest} is {document.Content.Length} bytes, but the {what} that names it says {descriptor.Size}. Nothing was used.");
            return document.Content;
        }, CancellationToken.None).GetAwaiter().GetResult();
        StoreDocument(content, descriptor.Digest);
        return content;
    }

    private Task FetchAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        FromFirstLocationAsync(descriptor, async (location, token) =>
        {
            await DownloadAsync(location, descriptor, token).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Tries each location (mirrors first) until one serves <paramref name="descriptor"/>.</summary>
    private async Task<T> FromFirstLocationAsync<T>(Descriptor descriptor, Func<RegistryLocation, CancellationToken, Task<T>> fetch, CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (var location in name.Locations)
        {
            try
            {
                return await fetch(location, cancellationToken).ConfigureAwait(false);
            }
            catch (OciException ex) when (location != name.Locations[^1] && ex.Code is not ErrorCodes.RegistryDigestMismatch)
            {
                // A mirror that lacks the content or is down is skipped; a mirror serving wrong bytes is an error.
                log.Detail($"  {location} could not serve {TransferProgress.Short(descriptor.Digest)} ({ex.Code}); trying the next location");
                last = ex;
            }
        }
        throw last ?? new OciException(ErrorCodes.RegistryBlobNotFound, $"No location serves {descriptor.Digest} of {name.Original.Name}.");
    }

    private async Task DownloadAsync(RegistryLocation location, Descriptor descriptor, CancellationToken cancellationToken)
    {
        var client = context.ClientFor(location.Endpoint);
        var temp = cache.NewTempFile();
        try
        {
            var progress = descriptor.Size >= 16L << 20 ? new TransferProgress(log, "pulling", descriptor.Digest, descriptor.Size) : null;
            await using (var input = await client.OpenBlobAsync(location.Repository, descriptor, [RegistryScope.Pull(location.Repository)], cancellationToken).ConfigureAwait(false))
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 17];
                int read;
                // The last read (end of stream) throws when the digest or size is wrong: nothing reaches the cache then.
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    progress?.Advance(read);
                }
            }
            progress?.Finish(descriptor.Size);
            cache.Store(temp, descriptor.Digest);
        }
        catch (Exception ex) when (RegistryConnection.IsTransient(ex, cancellationToken))
        {
            File.Delete(temp);
            throw context.ClientFor(location.Endpoint).Connection.Unreachable(ex);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
