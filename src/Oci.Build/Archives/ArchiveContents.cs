using System.Collections.Concurrent;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Archives;

/// <summary>
/// What a thick archive's layout will hold, gathered by the copy engine before a byte of any layer is read: every
/// manifest and index (small, verified as read, kept), every config and layer as a descriptor with where to read it
/// (read once, later, straight into the archive: no staging copy), and the index.json entries, named exactly as
/// <see cref="LayoutSink"/> names them (so the archive's bytes are those of the staged layout it replaces). As a sink it
/// takes the copies and the signatures; as a source it serves what it gathered (to the signer, to the archive index).
/// </summary>
public sealed class ArchiveContents : IImageSink, IImageSource
{
    private readonly ConcurrentDictionary<Digest, BlobContent> _blobs = new();
    private readonly ConcurrentDictionary<Digest, byte[]> _documents = new();
    private readonly List<Descriptor> _entries = [];
    private readonly object _lock = new();

    public string Description => "the thick archive being written";

    /// <summary>The layout's index.json: the roots, in the order they were put.</summary>
    public ImageIndex Index
    {
        get
        {
            lock (_lock) return new ImageIndex { Manifests = _entries.ToList() };
        }
    }

    public bool HasBlob(Digest digest) => _blobs.ContainsKey(digest) || _documents.ContainsKey(digest);

    /// <summary>Every blob of the layout (documents included): its digest, size, and how to open its bytes.</summary>
    public IEnumerable<(Digest Digest, long Size, Func<CancellationToken, Task<Stream>> Open)> Blobs()
    {
        foreach (var (digest, content) in _documents)
            yield return (digest, content.Length, _ => Task.FromResult<Stream>(new MemoryStream(content, writable: false)));
        foreach (var (digest, blob) in _blobs.Where(b => !_documents.ContainsKey(b.Key)))
            yield return (digest, blob.Descriptor.Size, blob.OpenAsync);
    }

    public Task<BlobPushResult> PutBlobAsync(BlobContent blob, CancellationToken cancellationToken) =>
        Task.FromResult(!HasBlob(blob.Descriptor.Digest) && _blobs.TryAdd(blob.Descriptor.Digest, blob)
            ? new BlobPushResult(blob.Descriptor, BlobOutcome.Uploaded, blob.Descriptor.Size)
            : new BlobPushResult(blob.Descriptor, BlobOutcome.Existed, 0));

    public Task<bool> PutManifestAsync(Descriptor descriptor, byte[] content, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
    {
        // The descriptor's own algorithm: a sha512-named manifest is checked and stored as sha512 (as LayoutSink does).
        if (Digest.Of(content, descriptor.Digest.Algorithm) != descriptor.Digest || content.Length != descriptor.Size)
            throw new OciException(ErrorCodes.DigestMismatch, $"The manifest given for {descriptor.Digest} is not the document that digest names.");
        var written = _documents.TryAdd(descriptor.Digest, content);
        if (tags is null) return Task.FromResult(written);
        lock (_lock)
        {
            // As a layout names its roots (ArchiveContents and LayoutSink write the same index.json).
            if (LayoutRoots.Name(_entries, descriptor, tags)) written = true;
        }
        return Task.FromResult(written);
    }

    /// <summary>Nothing to make visible: the archive is written from these contents afterwards.</summary>
    public Task CommitAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken) =>
        Task.FromResult(OciLayout.FindEntry(Index, reference, Description));

    public Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        _documents.TryGetValue(descriptor.Digest, out var content)
            ? Task.FromResult(content)
            : throw new OciException(ErrorCodes.InvalidLayout, $"The manifest {descriptor.Digest} is not in {Description}.");

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (_documents.TryGetValue(descriptor.Digest, out var content)) return Task.FromResult<Stream>(new MemoryStream(content, writable: false));
        return _blobs.TryGetValue(descriptor.Digest, out var blob)
            ? blob.OpenAsync(cancellationToken)
            : throw new OciException(ErrorCodes.InvalidLayout, $"Blob {descriptor.Digest} is not in {Description}.");
    }

    public Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken) => Task.FromResult(HasBlob(descriptor.Digest));

    /// <summary>The sources stay the writer's: they must outlive every copy into these contents.</summary>
    public void Dispose()
    {
    }
}
