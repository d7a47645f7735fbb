namespace Oci.Build.IO;

/// <summary>
/// A read-only, seekable view of <c>length</c> bytes of another seekable stream from <c>offset</c> (a member of an
/// uncompressed archive, read in place): position 0 is the window's first byte, reads stop at its end. Owns the inner
/// stream.
/// </summary>
public sealed class ReadWindowStream : SeekableReadStream
{
    private readonly Stream _inner;
    private readonly long _offset;
    private readonly long _length;
    private long _position;

    public ReadWindowStream(Stream inner, long offset, long length)
    {
        if (!inner.CanSeek) throw new ArgumentException("The stream under a window must be seekable.", nameof(inner));
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _inner = inner;
        _offset = offset;
        _length = length;
        _inner.Seek(offset, SeekOrigin.Begin);
    }

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
            _inner.Seek(_offset + Math.Min(value, _length), SeekOrigin.Begin);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        var max = (int)Math.Min(buffer.Length, Math.Max(0, _length - _position));
        if (max == 0) return 0;
        var n = _inner.Read(buffer[..max]);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var max = (int)Math.Min(buffer.Length, Math.Max(0, _length - _position));
        if (max == 0) return 0;
        var n = await _inner.ReadAsync(buffer[..max], cancellationToken).ConfigureAwait(false);
        _position += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
