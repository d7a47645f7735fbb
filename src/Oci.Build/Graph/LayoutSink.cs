using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>
/// An OCI image layout directory as a sink, written atomically (see <see cref="OciLayoutWriter"/>): nothing changes at
/// the destination before <see cref="CommitAsync"/>, which replaces it. With <c>keepExisting</c> (skopeo's behaviour for
/// <c>oci:</c> destinations) an existing layout keeps its other images: their blobs are linked into the new one, so they
/// cost nothing and are never sent again, and a tag written here replaces the entry that had it.
/// </summary>
public sealed class LayoutSink : IImageSink
{
    private readonly OciLayoutWriter _writer;
    private readonly List<Descriptor> _entries = [];
    private readonly object _lock = new();

    /// <param name="linkBlobs">Hard-link blobs that come as local files instead of copying them: only for layouts that
    /// are scratch space (their files share bytes with the source, so nothing may write into them).</param>
    public LayoutSink(string destination, bool linkBlobs = false, bool keepExisting = false)
    {
        _writer = OciLayoutWriter.Create(destination, linkBlobs);
        if (keepExisting && OciLayout.Exists(destination))
        {
            var existing = OciLayout.Open(destination);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(existing.Root, OciLayout.BlobsDirectoryName), "*", SearchOption.AllDirectories))
            {
                if (Digest.TryParse($"{Path.GetFileName(Path.GetDirectoryName(file))}:{Path.GetFileName(file)}", out var digest))
                    _writer.LinkExistingBlob(file, digest);
            }
            _entries.AddRange(existing.Index.Manifests);
        }
    }

    public string Description => $"oci:{_writer.Destination}";

    public string Destination => _writer.Destination;

    public bool HasBlob(Digest digest) => _writer.HasBlob(digest);

    public Task<BlobPushResult> PutBlobAsync(BlobContent blob, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        if (_writer.HasBlob(blob.Descriptor.Digest)) return new BlobPushResult(blob.Descriptor, BlobOutcome.Existed, 0);
        // A scratch layout links any local file; others link only sealed content-store blobs (see AddTrustedBlobFile).
        if ((_writer.LinksTrustedBlobs ? blob.FilePath : blob.SealedPath) is { } file)
        {
            return _writer.AddTrustedBlobFile(file, blob.Descriptor)
                ? new BlobPushResult(blob.Descriptor, BlobOutcome.Mounted, 0)
                : new BlobPushResult(blob.Descriptor, BlobOutcome.Uploaded, blob.Descriptor.Size);
        }
        await using var stream = await blob.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await _writer.WriteBlobAsync(blob.Descriptor, stream, cancellationToken).ConfigureAwait(false)
            ? new BlobPushResult(blob.Descriptor, BlobOutcome.Uploaded, blob.Descriptor.Size)
            : new BlobPushResult(blob.Descriptor, BlobOutcome.Existed, 0);
    }, cancellationToken);

    public Task<bool> PutManifestAsync(Descriptor descriptor, byte[] content, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
    {
        var written = !_writer.HasBlob(descriptor.Digest);
        // The descriptor's own algorithm: a sha512-named manifest is checked and stored as sha512 (harden).
        if (Digest.Of(content, descriptor.Digest.Algorithm) != descriptor.Digest || content.Length != descriptor.Size)
            throw new OciException(ErrorCodes.DigestMismatch, $"The manifest given for {descriptor.Digest} is not the document that digest names.");
        _writer.WriteBlob(descriptor, new MemoryStream(content, writable: false));
        if (tags is null) return Task.FromResult(written);
        lock (_lock)
        {
            // As a layout names its roots (ArchiveContents and LayoutSink write the same index.json).
            if (LayoutRoots.Name(_entries, descriptor, tags)) written = true;
        }
        return Task.FromResult(written);
    }

    public Task CommitAsync(CancellationToken cancellationToken)
    {
        _writer.Commit(new ImageIndex { Manifests = _entries.ToList() });
        return Task.CompletedTask;
    }

    public void Dispose() => _writer.Dispose();
}
