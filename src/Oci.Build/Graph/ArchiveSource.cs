using System.Formats.Tar;
using Oci.Build.IO;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>
/// An OCI archive as a source (<c>oci-archive:FILE[:TAG]</c>), read in place: one pass over the tar headers records where
/// each file's bytes are, and blobs are then read straight from those ranges, verified. Nothing is extracted. The
/// archive is hostile input: only the layout's own names, no links, no name twice (see <see cref="OciArchive"/>).
/// </summary>
public sealed class ArchiveSource : IImageSource
{
    private readonly string _path;
    private readonly Dictionary<string, (long Offset, long Length)> _files;

    private ArchiveSource(string path, Dictionary<string, (long, long)> files, ImageIndex index)
    {
        _path = path;
        _files = files;
        Index = index;
    }

    public ImageIndex Index { get; }

    public string Description => $"oci-archive:{_path}";

    public static ArchiveSource Open(string archivePath)
    {
        var path = Path.GetFullPath(archivePath);
        if (!File.Exists(path))
            throw new OciException(ErrorCodes.InvalidLayout, $"The OCI archive '{path}' does not exist.");
        var files = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        try
        {
            using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new TarReader(input);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                var name = OciArchive.SafeName(entry.Name, path);
                if (name is null || entry.EntryType == TarEntryType.Directory) continue;
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                    throw new OciException(ErrorCodes.UnsafeArchiveEntry,
                        $"'{path}' contains '{entry.Name}' of type {entry.EntryType}; an OCI archive holds only files and directories.");
                // On a seekable archive the reader seeks past the entry's data and its padding to the next 512-byte
                // record without reading them (copyData: false), so the data starts that many bytes back. Every read is
                // verified against its digest, so a wrong range could never pass for a blob.
                var padded = (entry.Length + 511) / 512 * 512;
                if (!files.TryAdd(name, (input.Position - padded, entry.Length)))
                    throw new OciException(ErrorCodes.UnsafeArchiveEntry,
                        $"'{path}' contains '{entry.Name}' twice; an archive whose later entry would replace an earlier one is refused.");
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new OciException(ErrorCodes.InvalidLayout, $"'{path}' is not a readable tar archive: {ex.Message}", ex);
        }
        var source = new ArchiveSource(path, files, new ImageIndex { Manifests = [] });
        OciLayout.CheckLayoutVersion(source.ReadFile(OciLayout.LayoutFileName), $"{path}: {OciLayout.LayoutFileName}");
        var index = OciJson.Deserialize<ImageIndex>(source.ReadFile(OciLayout.IndexFileName), $"index.json of '{path}'");
        return new ArchiveSource(path, files, index);
    }

    public Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken) =>
        Task.FromResult(OciLayout.FindEntry(Index, reference, Description));

    public async Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidDocument, $"The manifest {descriptor.Digest} in {Description} claims {descriptor.Size} bytes; documents over {OciJson.MaxDocumentSize} bytes are refused.");
        await using var stream = await OpenBlobAsync(descriptor, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream((int)descriptor.Size);
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        var name = BlobName(descriptor.Digest);
        if (!_files.TryGetValue(name, out var range))
            throw new OciException(ErrorCodes.InvalidLayout, $"Blob {descriptor.Digest} is referenced but missing from {Description}.");
        return Task.FromResult<Stream>(new VerifyingReadStream(OpenRange(range), descriptor.Digest, descriptor.Size, $"Blob {descriptor.Digest} in {Description}"));
    }

    public Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken) => Task.FromResult(_files.ContainsKey(BlobName(descriptor.Digest)));

    /// <summary>The member's range in the (uncompressed) tar: the bytes are served in place, for <c>Range</c> requests.</summary>
    public BlobFileRange? TryGetBlobRange(Digest digest) => _files.TryGetValue(BlobName(digest), out var range) ? new BlobFileRange(_path, range.Offset, range.Length) : null;

    public void Dispose()
    {
    }

    private static string BlobName(Digest digest) => $"{OciLayout.BlobsDirectoryName}/{digest.Algorithm}/{digest.Hex}";

    private byte[] ReadFile(string name)
    {
        if (!_files.TryGetValue(name, out var range))
            throw new OciException(ErrorCodes.InvalidLayout, $"'{_path}' is not an OCI archive: it has no '{name}'.");
        if (range.Length > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidLayout, $"'{name}' in '{_path}' is {range.Length} bytes; documents over {OciJson.MaxDocumentSize} bytes are refused.");
        using var stream = OpenRange(range);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private RangeStream OpenRange((long Offset, long Length) range)
    {
        var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        file.Seek(range.Offset, SeekOrigin.Begin);
        return new RangeStream(file, range.Length);
    }

    /// <summary>The bytes of one archive member: reads stop at its end.</summary>
    private sealed class RangeStream(FileStream file, long length) : ForwardOnlyReadStream
    {
        private long _left = length;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0) return 0;
            var n = file.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            _left -= n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0) return 0;
            var n = await file.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
            _left -= n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) file.Dispose();
            base.Dispose(disposing);
        }
    }
}
