using System.Formats.Tar;
using Oci.Build.Archives;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Layout;

/// <summary>Where one archive member's bytes are in the archive.</summary>
public readonly record struct TarRange(long Offset, long Length);

/// <summary>
/// The members of a tar read in place: one pass over the headers records where each file's bytes are, and files are
/// then read straight from those ranges. The tar is hostile input: only files and directories, no name twice, no
/// absolute or <c>..</c> paths, and no member whose declared bytes run past the end of the archive. Which names are
/// allowed at all is the caller's business (an OCI archive, a thick archive).
/// </summary>
public sealed class TarMembers
{
    private TarMembers(ArchiveInput input, Dictionary<string, TarRange> files)
    {
        Input = input;
        Files = files;
    }

    public ArchiveInput Input { get; }

    /// <summary>Member name (no <c>./</c> prefix) -> its bytes, in archive order of first appearance.</summary>
    public IReadOnlyDictionary<string, TarRange> Files { get; }

    public string Path => Input.Path;

    public static TarMembers Scan(ArchiveInput input)
    {
        var files = new Dictionary<string, TarRange>(StringComparer.Ordinal);
        var path = input.Path;
        try
        {
            using var stream = input.OpenRead();
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                var name = Normalize(entry.Name, path);
                // Directories make nothing here: members are read in place, never extracted.
                if (name is null || entry.EntryType == TarEntryType.Directory) continue;
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                    throw new OciException(ErrorCodes.UnsafeArchiveEntry,
                        $"'{path}' contains '{entry.Name}' of type {entry.EntryType}; an image archive holds only files and directories (no links or devices).");
                // On a seekable archive the reader seeks past the entry's data and its padding to the next 512-byte
                // record without reading them (copyData: false), so the data starts that many bytes back. Every read is
                // verified against its digest, so a wrong range could never pass for a blob.
                var padded = (entry.Length + 511) / 512 * 512;
                var range = new TarRange(stream.Position - padded, entry.Length);
                if (entry.Length < 0 || range.Offset < 0 || range.Offset + range.Length > input.Length)
                    throw new OciException(ErrorCodes.ArchiveTruncated,
                        $"'{path}' declares {entry.Length} bytes for '{entry.Name}', more than the archive holds ({input.Length} bytes): it is truncated or forged. Copy it again.");
                if (!files.TryAdd(name, range))
                    throw Duplicate(entry.Name, path);
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new OciException(ErrorCodes.ArchiveTruncated, $"'{path}' ends in the middle of a tar header: it is truncated. Copy it again.", ex);
        }
        // TarReader's refusals of forged headers: besides InvalidDataException, an OverflowException for a size field
        // beyond long, an ArgumentException for fields it cannot decode and a NotSupportedException for GNU sparse
        // entries (all found by fuzzing, eng/fuzz.sh archive).
        catch (Exception ex) when (ex is InvalidDataException or FormatException or OverflowException or ArgumentException or NotSupportedException)
        {
            throw new OciException(ErrorCodes.InvalidLayout, $"'{path}' is not a readable tar archive: {ex.Message}", ex);
        }
        return new TarMembers(input, files);
    }

    /// <summary>A member's bytes, read only up to its end.</summary>
    public Stream Open(TarRange range)
    {
        var stream = Input.OpenRead();
        stream.Seek(range.Offset, SeekOrigin.Begin);
        return new RangeStream(stream, range.Length);
    }

    /// <summary>A member's bytes as a seekable stream of their own (position 0 is the member's first byte).</summary>
    public Stream OpenWindow(TarRange range) => new ReadWindowStream(Input.OpenRead(), range.Offset, range.Length);

    /// <summary>A small member (a JSON document), whole; null when the archive has no such member.</summary>
    public byte[]? TryReadDocument(string name, string code)
    {
        if (!Files.TryGetValue(name, out var range)) return null;
        if (range.Length > OciJson.MaxDocumentSize)
            throw new OciException(code, $"'{name}' in '{Path}' is {range.Length} bytes; documents over {OciJson.MaxDocumentSize} bytes are refused.");
        using var stream = Open(range);
        var buffer = new byte[range.Length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>The member name without <c>./</c> and trailing <c>/</c>; null for the root; refuses absolute and <c>..</c> paths.</summary>
    private static string? Normalize(string name, string path)
    {
        var trimmed = name.Replace('\\', '/');
        if (trimmed.StartsWith('/') || trimmed.Split('/').Contains(".."))
            throw new OciException(ErrorCodes.UnsafeArchiveEntry, $"'{path}' contains '{name}', a path outside the archive; refusing the archive.");
        while (trimmed.StartsWith("./", StringComparison.Ordinal)) trimmed = trimmed[2..];
        trimmed = trimmed.TrimEnd('/');
        return trimmed.Length == 0 || trimmed == "." ? null : trimmed;
    }

    private static OciException Duplicate(string name, string path) =>
        new(ErrorCodes.UnsafeArchiveEntry, $"'{path}' contains '{name}' twice; an archive whose later entry would replace an earlier one is refused.");

    /// <summary>The bytes of one archive member: reads stop at its end.</summary>
    private sealed class RangeStream(Stream inner, long length) : ForwardOnlyReadStream
    {
        private long _left = length;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0) return 0;
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            _left -= n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0) return 0;
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
            _left -= n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
