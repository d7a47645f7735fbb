using System.Collections.Concurrent;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Archives;

/// <summary>
/// The sink of a delta archive's copy: blobs the baseline covers are not written (the copy sees them as already there,
/// so a registry source is not even read for them) and are recorded as expected at the site; everything else, and every
/// manifest, goes to the inner sink.
/// </summary>
public sealed class BaselineSink(IImageSink inner, IReadOnlySet<Digest> leaveOut, ConcurrentDictionary<Digest, Descriptor> leftOut) : IImageSink
{
    public string Description => inner.Description;

    public bool SkipsForeignLayers => inner.SkipsForeignLayers;

    public Task<BlobPushResult> PutBlobAsync(BlobContent blob, CancellationToken cancellationToken)
    {
        if (!leaveOut.Contains(blob.Descriptor.Digest)) return inner.PutBlobAsync(blob, cancellationToken);
        leftOut.TryAdd(blob.Descriptor.Digest, blob.Descriptor);
        return Task.FromResult(new BlobPushResult(blob.Descriptor, BlobOutcome.Existed, 0));
    }

    public Task<bool> PutManifestAsync(Descriptor descriptor, byte[] content, IReadOnlyList<string>? tags, CancellationToken cancellationToken) =>
        inner.PutManifestAsync(descriptor, content, tags, cancellationToken);

    public Task CommitAsync(CancellationToken cancellationToken) => inner.CommitAsync(cancellationToken);

    public void Dispose() => inner.Dispose();
}
