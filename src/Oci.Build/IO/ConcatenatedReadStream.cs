namespace Oci.Build.IO;

/// <summary>
/// Several files read as one seekable stream (the numbered parts of a split archive): a read that reaches the end of
/// one part continues in the next, so nothing is joined on disk. Files are opened lazily, one at a time.
/// </summary>
public sealed class ConcatenatedReadStream : SeekableReadStream
{
    private readonly IReadOnlyList<string> _files;
    private readonly long[] _starts;
    private readonly long _length;
    private FileStream? _current;
    private int _currentIndex = -1;
    private long _position;

    public ConcatenatedReadStream(IReadOnlyList<string> files)
    {
        _files = files;
        _starts = new long[files.Count];
        long offset = 0;
        for (var i = 0; i < files.Count; i++)
        {
            _starts[i] = offset;
            offset += new FileInfo(files[i]).Length;
        }
        _length = offset;
    }

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0 || _position >= _length) return 0;
        var part = PartAt(_position);
        var file = Open(part);
        file.Position = _position - _starts[part];
        var partEnd = part + 1 < _starts.Length ? _starts[part + 1] : _length;
        var n = file.Read(buffer[..(int)Math.Min(buffer.Length, partEnd - _position)]);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position >= _length) return 0;
        var part = PartAt(_position);
        var file = Open(part);
        file.Position = _position - _starts[part];
        var partEnd = part + 1 < _starts.Length ? _starts[part + 1] : _length;
        var n = await file.ReadAsync(buffer[..(int)Math.Min(buffer.Length, partEnd - _position)], cancellationToken).ConfigureAwait(false);
        _position += n;
        return n;
    }

    private int PartAt(long position)
    {
        var index = Array.BinarySearch(_starts, position);
        if (index < 0) index = ~index - 1;
        // Empty parts share a start with the next one: move to the part that really holds this byte.
        while (index + 1 < _starts.Length && _starts[index + 1] <= position) index++;
        return index;
    }

    private FileStream Open(int part)
    {
        if (part == _currentIndex) return _current!;
        _current?.Dispose();
        _current = new FileStream(_files[part], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        _currentIndex = part;
        return _current;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _current?.Dispose();
        base.Dispose(disposing);
    }
}
