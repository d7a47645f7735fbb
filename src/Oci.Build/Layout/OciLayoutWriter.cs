using System.Collections.Concurrent;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Layout;

/// <summary>
/// Writes an OCI image layout atomically: everything goes into a private staging directory beside the destination, and
/// only <see cref="Commit"/> swaps it into place. A failure at any point leaves the previous layout untouched, and the
/// new layout holds exactly the blobs that were added (no stale blobs from earlier writes).
/// </summary>
public sealed class OciLayoutWriter : IDisposable
{
    private readonly ConcurrentDictionary<Digest, bool> _blobs = new();
    private bool _committed;

    private readonly bool _linkTrustedBlobs;

    private OciLayoutWriter(string destination, string staging, bool linkTrustedBlobs)
    {
        Destination = destination;
        StagingRoot = staging;
        _linkTrustedBlobs = linkTrustedBlobs;
    }

    public string Destination { get; }

    public string StagingRoot { get; }

    /// <param name="linkTrustedBlobs">
    /// Hard-link blobs added with <see cref="AddTrustedBlobFile"/> instead of copying them. Only for layouts that are the
    /// build's own scratch space (the plaintext layout of an encrypted build): a linked blob shares its bytes with the
    /// cache, so nothing may ever write into it. Outputs users receive always get copies.
    /// </param>
    public static OciLayoutWriter Create(string destination, bool linkTrustedBlobs = false)
    {
        var full = Path.GetFullPath(destination).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(full)}.staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return new OciLayoutWriter(full, staging, linkTrustedBlobs);
    }

    public bool HasBlob(Digest digest) => _blobs.ContainsKey(digest);

    /// <summary>True when this writer links trusted blob files instead of copying them (scratch layouts only).</summary>
    public bool LinksTrustedBlobs => _linkTrustedBlobs;

    /// <summary>Writes a small document (manifest, config, index) and returns its descriptor.</summary>
    public Descriptor WriteBlob(ReadOnlySpan<byte> content, string mediaType)
    {
        var descriptor = new Descriptor { MediaType = mediaType, Digest = Digest.Of(content), Size = content.Length };
        if (_blobs.TryAdd(descriptor.Digest, true))
        {
            var path = PrepareBlobPath(descriptor.Digest);
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            file.Write(content);
        }
        return descriptor;
    }

    /// <summary>Copies a blob this process built and trusts (the layer cache); its size is checked, its content is not re-read.</summary>
    public void AddTrustedBlobFile(string sourcePath, Descriptor descriptor)
    {
        if (!_blobs.TryAdd(descriptor.Digest, true)) return;
        var length = new FileInfo(sourcePath).Length;
        if (length != descriptor.Size)
            throw new OciException(ErrorCodes.DigestMismatch, $"Cached blob '{sourcePath}' is {length} bytes, expected {descriptor.Size}; delete the cache directory and publish again.");
        var target = PrepareBlobPath(descriptor.Digest);
        if (!_linkTrustedBlobs || !HardLink.TryCreate(sourcePath, target))
            File.Copy(sourcePath, target);
    }

    /// <summary>Streams a blob from <paramref name="source"/>, verifying its digest and size on the way; nothing is kept on a mismatch.</summary>
    public void CopyBlob(IBlobSource source, Descriptor descriptor)
    {
        if (HasBlob(descriptor.Digest)) return;
        using var input = source.OpenBlob(descriptor);
        WriteBlob(descriptor, input);
    }

    /// <summary>
    /// Writes a blob from a stream that verifies itself (its last read throws on a mismatch); nothing is kept on a
    /// failure. False when the blob was already there.
    /// </summary>
    public bool WriteBlob(Descriptor descriptor, Stream verifiedInput)
    {
        if (!_blobs.TryAdd(descriptor.Digest, true)) return false;
        var path = PrepareBlobPath(descriptor.Digest);
        try
        {
            using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            verifiedInput.CopyTo(output, 1 << 17);
            if (output.Length != descriptor.Size)
                throw new OciException(ErrorCodes.DigestMismatch, $"Blob {descriptor.Digest} is {output.Length} bytes, expected {descriptor.Size}.");
        }
        catch
        {
            _blobs.TryRemove(descriptor.Digest, out _);
            File.Delete(path);
            throw;
        }
        return true;
    }

    /// <summary>
    /// Carries a blob of the layout being replaced into the new one (a hard link where the file system allows), so
    /// updating a layout keeps its other images without copying them.
    /// </summary>
    public void LinkExistingBlob(string file, Digest digest)
    {
        if (!_blobs.TryAdd(digest, true)) return;
        var target = PrepareBlobPath(digest);
        if (!HardLink.TryCreate(file, target)) File.Copy(file, target);
    }

    /// <summary>Writes <c>oci-layout</c> and <c>index.json</c>, then replaces the destination with the staged layout.</summary>
    public void Commit(ImageIndex index)
    {
        foreach (var manifest in index.Manifests)
        {
            if (!_blobs.ContainsKey(manifest.Digest))
                throw new InvalidOperationException($"index.json names {manifest.Digest}, which was not written to the layout.");
        }
        File.WriteAllText(Path.Combine(StagingRoot, OciLayout.LayoutFileName), $"{{\"imageLayoutVersion\":\"{MediaTypes.OciLayoutVersion}\"}}");
        File.WriteAllBytes(Path.Combine(StagingRoot, OciLayout.IndexFileName), OciJson.Serialize(index));
        AtomicDirectory.Replace(StagingRoot, Destination);
        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed && Directory.Exists(StagingRoot))
            Directory.Delete(StagingRoot, recursive: true);
    }

    private string PrepareBlobPath(Digest digest)
    {
        var directory = Path.Combine(StagingRoot, OciLayout.BlobsDirectoryName, digest.Algorithm);
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, digest.Hex);
    }
}
