using Oci.Build.Oci;

namespace Oci.Build.IO;

/// <summary>
/// Reads a blob and checks its size and digest as the bytes go by. The last read (the one that reaches the end) throws
/// <see cref="OciException"/> with <see cref="ErrorCodes.DigestMismatch"/> when the content is not what the descriptor
/// promised, so a consumer that writes to a temporary place and commits only after the end never commits bad content.
/// </summary>
public sealed class VerifyingReadStream(Stream inner, Digest expected, long expectedSize, string what, string errorCode = ErrorCodes.DigestMismatch) : ForwardOnlyReadStream
{
    private readonly System.Security.Cryptography.IncrementalHash _hash = expected.CreateHash();
    private long _read;
    private bool _verified;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Account(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Account(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Account(ReadOnlySpan<byte> data)
    {
        if (data.Length > 0)
        {
            _read += data.Length;
            if (_read > expectedSize)
                throw new OciException(errorCode, $"{what} is larger than its descriptor says ({expectedSize} bytes); it was changed or corrupted. Rebuild or re-fetch it.");
            _hash.AppendData(data);
            return;
        }
        if (_verified) return;
        _verified = true;
        var actual = new Digest(expected.Algorithm, Convert.ToHexStringLower(_hash.GetHashAndReset()));
        if (_read != expectedSize || actual != expected)
            throw new OciException(errorCode,
                $"{what} does not match its descriptor: expected {expected} ({expectedSize} bytes), found {actual} ({_read} bytes). The content was changed or corrupted; rebuild or re-fetch it.");
    }

    public override long Length => expectedSize;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
