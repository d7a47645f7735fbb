using System.Collections.Concurrent;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Layout;

/// <summary>
/// Writes an OCI image layout so that a reader, another writer or a kill at any moment never finds it half-written.
/// <c>index.json</c> is the commit point: blobs are content-addressed files written first (each a temp file renamed
/// into place), then <see cref="Commit"/> renames a new <c>index.json</c> over the old one, and only then are blobs the
/// new index no longer needs removed. A failure before that leaves the previous layout as it was (blobs this writer
/// added are removed again). A new destination is written in a staging folder beside it and renamed into place whole.
/// Writers of one destination take turns (<see cref="OutputLock"/>), so two publishes of one project both finish and
/// the layout is the last one's. A folder that is not a layout (and not empty) is someone's data: it is refused.
/// </summary>
public sealed class OciLayoutWriter : IDisposable
{
    private readonly ConcurrentDictionary<Digest, bool> _blobs = new();
    private readonly ConcurrentBag<string> _added = new();
    private readonly OutputLock _lock;
    private readonly bool _inPlace;
    private readonly bool _linkTrustedBlobs;
    private bool _committed;
    private bool _disposed;

    private OciLayoutWriter(string destination, string root, bool inPlace, bool linkTrustedBlobs, OutputLock outputLock)
    {
        Destination = destination;
        Root = root;
        _inPlace = inPlace;
        _linkTrustedBlobs = linkTrustedBlobs;
        _lock = outputLock;
    }

    public string Destination { get; }

    /// <summary>Where blobs go before the commit: the destination itself, or a staging folder when it did not exist.</summary>
    private string Root { get; }

    /// <param name="linkTrustedBlobs">
    /// Hard-link every file added with <see cref="AddTrustedBlobFile"/>, sealed or not. Only for layouts that are scratch
    /// space of this process (an archive's staging folder): a linked file shares its bytes with its source. Without it,
    /// only sealed content-store blobs are linked (see <see cref="AddTrustedBlobFile"/>).
    /// </param>
    public static OciLayoutWriter Create(string destination, bool linkTrustedBlobs = false)
    {
        var full = Path.GetFullPath(destination).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var outputLock = OutputLock.Acquire(full);
        try
        {
            if (File.Exists(full))
                throw new OciException(ErrorCodes.LayoutOutputNotOurs, $"The layout output '{full}' is a file; an OCI image layout is a folder. Choose another path.");
            if (Directory.Exists(full))
            {
                if (!File.Exists(Path.Combine(full, OciLayout.LayoutFileName)) && Directory.EnumerateFileSystemEntries(full).Any())
                    throw new OciException(ErrorCodes.LayoutOutputNotOurs,
                        $"The layout output '{full}' is a folder with other files in it, not an OCI image layout; writing a layout there would mix " +
                        "the image with someone's data. Choose a new or empty folder.");
                return new OciLayoutWriter(full, full, inPlace: true, linkTrustedBlobs, outputLock);
            }
            var staging = Path.Combine(parent, $".{Path.GetFileName(full)}.staging-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            return new OciLayoutWriter(full, staging, inPlace: false, linkTrustedBlobs, outputLock);
        }
        catch
        {
            outputLock.Dispose();
            throw;
        }
    }

    public bool HasBlob(Digest digest) => _blobs.ContainsKey(digest);

    /// <summary>True when this writer links every trusted blob file, sealed or not (scratch layouts only).</summary>
    public bool LinksTrustedBlobs => _linkTrustedBlobs;

    /// <summary>Bytes of blobs hard-linked instead of written (for the build log).</summary>
    public long BytesLinked => Interlocked.Read(ref _bytesLinked);

    /// <summary>Bytes of blobs written or copied into the layout.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    private long _bytesLinked;
    private long _bytesWritten;

    /// <summary>Writes a small document (manifest, config, index) and returns its descriptor.</summary>
    public Descriptor WriteBlob(ReadOnlySpan<byte> content, string mediaType)
    {
        var descriptor = new Descriptor { MediaType = mediaType, Digest = Digest.Of(content), Size = content.Length };
        if (_blobs.TryAdd(descriptor.Digest, true))
        {
            var temp = NewTempFile(descriptor.Digest);
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                file.Write(content);
            Place(temp, descriptor.Digest);
            Interlocked.Add(ref _bytesWritten, content.Length);
        }
        return descriptor;
    }

    /// <summary>
    /// Adds a blob from a file this process made and trusts (the content store's); its size is checked, its content is
    /// not re-read. A sealed file (<see cref="SealedFile"/>: every content-store blob) is hard-linked, so a republish
    /// writes only what changed instead of copying every layer. The link shares the inode with the store; that is safe
    /// because the store's blobs are read-only and any write to them breaks the seal, which makes the store check the
    /// bytes again before it trusts or links them (<see cref="Store.ContentStore.Has"/>), and because this writer and
    /// every other replace blob files by rename, never write into them. Where a link cannot be made (another file system:
    /// EXDEV; Windows) the file is copied, silently: the layout is the same either way. Callers never pass the plaintext
    /// of a layer the output encrypts: encrypted layouts receive ciphertext only.
    /// </summary>
    /// <returns>True when the blob was linked (no bytes written).</returns>
    public bool AddTrustedBlobFile(string sourcePath, Descriptor descriptor)
    {
        if (!_blobs.TryAdd(descriptor.Digest, true)) return false;
        var length = new FileInfo(sourcePath).Length;
        if (length != descriptor.Size)
        {
            _blobs.TryRemove(descriptor.Digest, out _);
            throw new OciException(ErrorCodes.DigestMismatch, $"Cached blob '{sourcePath}' is {length} bytes, expected {descriptor.Size}; delete the cache directory and publish again.");
        }
        var temp = NewTempFile(descriptor.Digest);
        var linked = (_linkTrustedBlobs || SealedFile.IsSealed(sourcePath)) && HardLink.TryCreate(sourcePath, temp);
        if (!linked) File.Copy(sourcePath, temp);
        Place(temp, descriptor.Digest);
        Interlocked.Add(ref linked ? ref _bytesLinked : ref _bytesWritten, length);
        return linked;
    }

    /// <summary>
    /// A blob from <paramref name="source"/>: linked when the source has it as a sealed content-store file, else streamed
    /// and verified on the way (nothing is kept on a mismatch).
    /// </summary>
    public void CopyBlob(IBlobSource source, Descriptor descriptor)
    {
        if (HasBlob(descriptor.Digest)) return;
        if (source.TryGetSealedBlobPath(descriptor.Digest) is { } sealedFile)
        {
            AddTrustedBlobFile(sealedFile, descriptor);
            return;
        }
        using var input = source.OpenBlob(descriptor);
        WriteBlob(descriptor, input);
    }

    /// <summary>
    /// Writes a blob from a stream that verifies itself (its last read throws on a mismatch); nothing is kept on a
    /// failure. False when the blob was already there.
    /// </summary>
    public bool WriteBlob(Descriptor descriptor, Stream verifiedInput) =>
        Write(descriptor, output =>
        {
            verifiedInput.CopyTo(output, 1 << 17);
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();

    /// <summary>
    /// <see cref="WriteBlob(Descriptor, Stream)"/> for a stream from the network: read asynchronously, since a
    /// synchronous read of an HTTP response spins each time the socket is empty (<see cref="StreamCopy"/>).
    /// </summary>
    public Task<bool> WriteBlobAsync(Descriptor descriptor, Stream verifiedInput, CancellationToken cancellationToken) =>
        Write(descriptor, output => StreamCopy.ReadAsyncWriteSync(verifiedInput, output, cancellationToken));

    private async Task<bool> Write(Descriptor descriptor, Func<FileStream, Task> copy)
    {
        if (!_blobs.TryAdd(descriptor.Digest, true)) return false;
        var temp = NewTempFile(descriptor.Digest);
        try
        {
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await copy(output).ConfigureAwait(false);
                if (output.Length != descriptor.Size)
                    throw new OciException(ErrorCodes.DigestMismatch, $"Blob {descriptor.Digest} is {output.Length} bytes, expected {descriptor.Size}.");
            }
            Place(temp, descriptor.Digest);
            Interlocked.Add(ref _bytesWritten, descriptor.Size);
        }
        catch
        {
            _blobs.TryRemove(descriptor.Digest, out _);
            File.Delete(temp);
            throw;
        }
        return true;
    }

    /// <summary>
    /// Keeps a blob of the layout being updated (or carries one from another layout, as a hard link where the file
    /// system allows), so updating a layout keeps its other images without copying them.
    /// </summary>
    public void LinkExistingBlob(string file, Digest digest)
    {
        if (!_blobs.TryAdd(digest, true)) return;
        if (Path.GetFullPath(file) == BlobPath(digest)) return;   // already in place: nothing to write
        var temp = NewTempFile(digest);
        if (!HardLink.TryCreate(file, temp)) File.Copy(file, temp);
        Place(temp, digest);
    }

    /// <summary>
    /// Writes <c>oci-layout</c> and then <c>index.json</c> (the commit point, one rename), then removes blobs the new index
    /// does not keep. For a new destination, the staged layout is renamed into place whole.
    /// </summary>
    public void Commit(ImageIndex index)
    {
        foreach (var manifest in index.Manifests)
        {
            if (!_blobs.ContainsKey(manifest.Digest))
                throw new InvalidOperationException($"index.json names {manifest.Digest}, which was not written to the layout.");
        }
        WriteFileAtomically(OciLayout.LayoutFileName, System.Text.Encoding.UTF8.GetBytes($"{{\"imageLayoutVersion\":\"{MediaTypes.OciLayoutVersion}\"}}"));
        WriteFileAtomically(OciLayout.IndexFileName, OciJson.Serialize(index));
        if (_inPlace) RemoveUnkeptBlobs();
        else Directory.Move(Root, Destination);
        _committed = true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (_committed) return;
            // Nothing was committed: the previous layout (if any) is still what index.json names.
            if (!_inPlace)
            {
                if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
            }
            else
            {
                foreach (var file in _added) File.Delete(file);
            }
        }
        finally
        {
            _lock.Dispose();
        }
    }

    private string BlobPath(Digest digest) => Path.Combine(Root, OciLayout.BlobsDirectoryName, digest.Algorithm, digest.Hex);

    private string NewTempFile(Digest digest)
    {
        var target = BlobPath(digest);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        return $"{target}.{Guid.NewGuid():N}.tmp";
    }

    /// <summary>Renames a finished temp file to its blob name (atomic: a reader sees no blob or the whole one).</summary>
    private void Place(string temp, Digest digest)
    {
        var target = BlobPath(digest);
        if (_inPlace && !File.Exists(target)) _added.Add(target);
        File.Move(temp, target, overwrite: true);
        // rename(2) does nothing when both names are links to one file (a republish linking the store blob the layout
        // already links): the temp name is then still there.
        if (File.Exists(temp)) File.Delete(temp);
    }

    private void WriteFileAtomically(string name, byte[] content)
    {
        var path = Path.Combine(Root, name);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// After the commit: blobs no longer named (the previous image's) and temp files of writers that were killed go.
    /// Safe because writers hold the lock; a reader that opened the previous index.json just before may miss a blob.
    /// </summary>
    private void RemoveUnkeptBlobs()
    {
        var blobs = Path.Combine(Root, OciLayout.BlobsDirectoryName);
        if (!Directory.Exists(blobs)) return;
        foreach (var algorithm in Directory.EnumerateDirectories(blobs))
        {
            foreach (var file in Directory.EnumerateFiles(algorithm))
            {
                var name = $"{Path.GetFileName(algorithm)}:{Path.GetFileName(file)}";
                if (!Digest.TryParse(name, out var digest) || !_blobs.ContainsKey(digest)) File.Delete(file);
            }
        }
    }
}
