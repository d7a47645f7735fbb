using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Oci.Build.Encryption.Cipher;

/// <summary>
/// AES-256 in counter mode, which .NET does not offer: counter blocks are laid out in a buffer and encrypted with AES-ECB
/// (hardware AES, many blocks per call), then XORed into the data. The 16-byte nonce is the whole initial counter block and
/// the counter is one big-endian 128-bit integer, so it carries from the low 64 bits into the high ones (as Go's
/// <c>cipher.NewCTR</c> does).
/// </summary>
public sealed class AesCtrKeystream : IDisposable
{
    public const int BlockSize = 16;

    private readonly Aes _aes;
    private ulong _high;
    private ulong _low;
    private byte[] _counters = [];
    private byte[] _keystream = [];
    // Keystream bytes generated but not yet used, so calls with lengths that are not multiples of 16 continue correctly.
    private int _keystreamOffset;
    private int _keystreamLength;

    public AesCtrKeystream(ReadOnlySpan<byte> key, ReadOnlySpan<byte> initialCounter)
    {
        if (key.Length != 32) throw new ArgumentException("AES-256 needs a 32-byte key.", nameof(key));
        if (initialCounter.Length != BlockSize) throw new ArgumentException("The CTR nonce must be 16 bytes.", nameof(initialCounter));
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _high = BinaryPrimitives.ReadUInt64BigEndian(initialCounter);
        _low = BinaryPrimitives.ReadUInt64BigEndian(initialCounter[8..]);
    }

    /// <summary>XORs the next <c>data.Length</c> keystream bytes into <paramref name="data"/> (encryption and decryption are the same).</summary>
    public void Transform(Span<byte> data)
    {
        while (data.Length > 0)
        {
            if (_keystreamOffset == _keystreamLength) Refill(data.Length);
            var n = Math.Min(data.Length, _keystreamLength - _keystreamOffset);
            Xor(data[..n], _keystream.AsSpan(_keystreamOffset, n));
            _keystreamOffset += n;
            data = data[n..];
        }
    }

    private void Refill(int wanted)
    {
        var blocks = Math.Max(1, (wanted + BlockSize - 1) / BlockSize);
        var bytes = blocks * BlockSize;
        if (_counters.Length < bytes)
        {
            _counters = new byte[bytes];
            _keystream = new byte[bytes];
        }
        var counters = _counters.AsSpan(0, bytes);
        for (var offset = 0; offset < bytes; offset += BlockSize)
        {
            BinaryPrimitives.WriteUInt64BigEndian(counters[offset..], _high);
            BinaryPrimitives.WriteUInt64BigEndian(counters[(offset + 8)..], _low);
            if (++_low == 0) _high++; // carry into the high 64 bits
        }
        _aes.EncryptEcb(counters, _keystream.AsSpan(0, bytes), PaddingMode.None);
        _keystreamOffset = 0;
        _keystreamLength = bytes;
    }

    private static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var width = Vector<byte>.Count;
            for (; i <= data.Length - width; i += width)
                (new Vector<byte>(data[i..]) ^ new Vector<byte>(keystream[i..])).CopyTo(data[i..]);
        }
        for (; i < data.Length; i++) data[i] ^= keystream[i];
    }

    public void Dispose() => _aes.Dispose();
}
