using System.Buffers;
using System.Text;

namespace Oci.Build.Layers;

/// <summary>
/// Writes a tar stream whose bytes depend only on the entries given: ustar headers, a fixed timestamp, fixed owner, no
/// user or group names, no atime/ctime and no process-dependent PAX header names. Long paths, long link targets and
/// huge sizes fall back to a PAX extended header whose own name is derived from the entry path alone.
/// The writer does not sort or add parent directories: <see cref="LayerTarBuilder"/> decides what goes in and in which order.
/// </summary>
public sealed class ReproducibleTarWriter(Stream output, long unixTime, int uid = 0, int gid = 0) : IDisposable
{
    private const int Block = 512;
    private const long MaxUstarSize = 077777777777; // 11 octal digits
    private const int CopyBufferSize = 1 << 17;
    private static readonly byte[] Zeros = new byte[Block * 2];
    private bool _finished;

    /// <param name="owner">An owner other than the writer's (a directory the app must write, see <see cref="WritableDirectory"/>).</param>
    public void WriteDirectory(string path, int mode, (int Uid, int Gid)? owner = null) =>
        WriteHeader(path.EndsWith('/') ? path : path + "/", (byte)'5', mode, 0, linkTarget: null, owner);

    public void WriteSymlink(string path, string target, int mode = 0b111_111_111) =>
        WriteHeader(path, (byte)'2', mode, 0, target);

    public void WriteFile(string path, Stream content, long size, int mode)
    {
        WriteHeader(path, (byte)'0', mode, size, linkTarget: null);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            for (long remaining = size; remaining > 0;)
            {
                var n = content.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (n == 0) throw EndedEarly(path, size, remaining);
                output.Write(buffer, 0, n);
                remaining -= n;
            }
            if (content.Read(buffer, 0, 1) != 0) throw Grew(path, size);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        Pad(size);
    }

    /// <summary>
    /// <see cref="WriteFile(string, Stream, long, int)"/> for content from the network: read asynchronously, since a
    /// synchronous read of an HTTP response spins each time the socket is empty. The tar itself is still written
    /// synchronously, to a local file. (The local path keeps its own synchronous loop: going through this state machine
    /// made it one more large method that the JIT compiles again, twice, in the middle of every cold build.)
    /// </summary>
    public async Task WriteFileAsync(string path, Stream content, long size, int mode, CancellationToken cancellationToken)
    {
        WriteHeader(path, (byte)'0', mode, size, linkTarget: null);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            for (long remaining = size; remaining > 0;)
            {
                var n = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken).ConfigureAwait(false);
                if (n == 0) throw EndedEarly(path, size, remaining);
                output.Write(buffer, 0, n);
                remaining -= n;
            }
            if (await content.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0) throw Grew(path, size);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        Pad(size);
    }

    private static IOException EndedEarly(string path, long size, long remaining) =>
        new($"'{path}' ended after {size - remaining} of {size} bytes: it changed while the layer was written.");

    private static IOException Grew(string path, long size) => new($"'{path}' grew beyond {size} bytes while the layer was written.");

    /// <summary>Writes the two zero blocks that end a tar archive.</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        output.Write(Zeros);
    }

    public void Dispose() => Finish();

    private void WriteHeader(string path, byte type, int mode, long size, string? linkTarget, (int Uid, int Gid)? owner = null)
    {
        List<(string Key, string Value)>? pax = null;
        var (prefix, name) = SplitUstarName(path);
        if (name is null)
        {
            (pax ??= []).Add(("path", path));
            name = Truncate(path, 100);
            prefix = "";
        }
        if (linkTarget is not null && Encoding.UTF8.GetByteCount(linkTarget) > 100)
            (pax ??= []).Add(("linkpath", linkTarget));
        if (size > MaxUstarSize)
            (pax ??= []).Add(("size", size.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        if (pax is not null)
        {
            var records = PaxRecords(pax);
            // The extended header's own name must not depend on the process (the .NET TarWriter puts the pid there).
            var paxName = Truncate("PaxHeaders/" + path.TrimEnd('/').Split('/')[^1], 100);
            output.Write(Header(paxName, "", (byte)'x', 0b110_100_100, records.Length, null));
            output.Write(records);
            Pad(records.Length);
        }
        output.Write(Header(name, prefix, type, mode, size > MaxUstarSize ? 0 : size, linkTarget is null ? null : Truncate(linkTarget, 100), owner));
    }

    private byte[] Header(string name, string prefix, byte type, int mode, long size, string? linkTarget, (int Uid, int Gid)? owner = null)
    {
        var header = new byte[Block];
        Ascii(header, 0, 100, name);
        Octal(header, 100, 8, mode);
        Octal(header, 108, 8, owner?.Uid ?? uid);
        Octal(header, 116, 8, owner?.Gid ?? gid);
        Octal(header, 124, 12, size);
        Octal(header, 136, 12, unixTime);
        header.AsSpan(148, 8).Fill((byte)' ');
        header[156] = type;
        if (linkTarget is not null) Ascii(header, 157, 100, linkTarget);
        "ustar\0"u8.CopyTo(header.AsSpan(257));
        "00"u8.CopyTo(header.AsSpan(263));
        // uname/gname stay empty: names differ between machines, ids are what a runtime uses.
        Octal(header, 329, 8, 0);
        Octal(header, 337, 8, 0);
        Ascii(header, 345, 155, prefix);
        long checksum = 0;
        foreach (var b in header) checksum += b;
        Octal(header, 148, 7, checksum); // six digits and a NUL, then the space that stays from the fill above
        return header;
    }

    private void Pad(long size)
    {
        var remainder = (int)(size % Block);
        if (remainder != 0) output.Write(Zeros, 0, Block - remainder);
    }

    /// <summary>Splits a path into ustar's 155-byte prefix and 100-byte name; null name when it does not fit.</summary>
    private static (string Prefix, string? Name) SplitUstarName(string path)
    {
        if (!IsAscii(path)) return ("", null);
        if (path.Length <= 100) return ("", path);
        if (path.Length > 256) return ("", null);
        // The split must happen at a '/' with the name part non-empty; directories keep their trailing slash in the name.
        for (var i = path.Length - 1; i > 0; i--)
        {
            if (path[i] != '/' || i == path.Length - 1) continue;
            var prefix = path[..i];
            var name = path[(i + 1)..];
            if (prefix.Length <= 155 && name.Length <= 100 && name.Length > 0) return (prefix, name);
            if (name.Length > 100) break;
        }
        return ("", null);
    }

    private static byte[] PaxRecords(IEnumerable<(string Key, string Value)> records)
    {
        var builder = new MemoryStream();
        foreach (var (key, value) in records)
        {
            var body = Encoding.UTF8.GetBytes($" {key}={value}\n");
            // The length prefix counts itself; find the fixed point.
            var length = body.Length + 1;
            while (length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + body.Length != length) length++;
            builder.Write(Encoding.ASCII.GetBytes(length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            builder.Write(body);
        }
        return builder.ToArray();
    }

    private static bool IsAscii(string text) => !text.AsSpan().ContainsAnyExceptInRange('\u0001', '\u007f');

    private static string Truncate(string text, int max)
    {
        var ascii = new string(text.Select(c => c < 0x80 && c != '\0' ? c : '_').ToArray());
        return ascii.Length <= max ? ascii : ascii[..max];
    }

    // Header fields are formatted by hand, into the header itself: a tar has one header per file, and string formatting
    // and encoding there allocated several strings per file and made a dozen framework methods hot enough for the JIT to
    // compile them again during the build.

    /// <summary>Text already made ASCII (<see cref="SplitUstarName"/>, <see cref="Truncate"/>), left-aligned, NUL-padded.</summary>
    private static void Ascii(byte[] header, int offset, int length, string text)
    {
        if (text.Length > length) throw new ArgumentException($"'{text}' does not fit in {length} bytes.");
        Encoding.ASCII.GetBytes(text, header.AsSpan(offset, length));
    }

    /// <summary>Zero-padded octal digits, then a NUL: <paramref name="length"/> bytes in all.</summary>
    private static void Octal(byte[] header, int offset, int length, long value)
    {
        if (value < 0 || (length - 1 < 21 && value >> (3 * (length - 1)) != 0))
            throw new ArgumentOutOfRangeException(nameof(value), $"{value} does not fit a {length}-byte octal field.");
        for (var i = offset + length - 2; i >= offset; i--, value >>= 3) header[i] = (byte)('0' + (value & 7));
        header[offset + length - 1] = 0;
    }
}
