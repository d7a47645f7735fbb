using System.Security.Cryptography;
using Oci.Build.Oci;

namespace Oci.Build.IO;

/// <summary>
/// A write-only pass-through that hashes and counts what flows into the inner stream, so a layer's tar (diff_id) and its
/// compressed form (digest) are both measured in the same single pass that writes them.
/// </summary>
public sealed class DigestingStream(Stream inner, bool leaveOpen = false) : ForwardOnlyWriteStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private Digest? _digest;

    private long _length;

    /// <summary>The digest of everything written; available once, after writing has finished.</summary>
    public Digest Digest => _digest ??= Digest.Sha256(_hash.GetHashAndReset());

    public long BytesWritten => _length;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _length += buffer.Length;
        inner.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash.AppendData(buffer.Span);
        _length += buffer.Length;
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() => inner.Flush();

    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
