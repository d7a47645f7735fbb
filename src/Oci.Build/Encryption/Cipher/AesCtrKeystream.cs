using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
        FillCounters(MemoryMarshal.Cast<byte, ulong>(_counters.AsSpan(0, bytes)));
        _aes.EncryptEcb(_counters.AsSpan(0, bytes), _keystream.AsSpan(0, bytes), PaddingMode.None);
        _keystreamOffset = 0;
        _keystreamLength = bytes;
    }

    /// <summary>
    /// Lays out the next counter blocks as (high, low) pairs of 64-bit words, big-endian. This runs once per 16 bytes of the
    /// layer and a scalar loop costs more than the AES itself, so the usual case (no carry into the high word within
    /// these blocks) writes each block with one vector store and swaps the byte order of the whole buffer at once.
    /// </summary>
    // Vector128, not Vector256 or Vector<T>, and no AggressiveOptimization, here and in Xor: so that both are compiled
    // ahead of time (ReadyToRun takes 128-bit vectors, the x64 and arm64 baseline; it leaves the others, and every
    // AggressiveOptimization method, to the JIT). Compiled at full optimization in every build, they cost a warm build
    // that encrypts one small app layer more than that layer's encryption. A 16-byte store per block is as fast as the AES.
    private void FillCounters(Span<ulong> words)
    {
        var blocks = (ulong)(words.Length / 2);
        if (Vector128.IsHardwareAccelerated && _low <= ulong.MaxValue - blocks)
        {
            var vectors = MemoryMarshal.Cast<ulong, Vector128<ulong>>(words);
            var next = Vector128.Create(_high, _low);
            var step = Vector128.Create(0UL, 1UL);
            for (var v = 0; v < vectors.Length; v++)
            {
                vectors[v] = next;
                next += step;
            }
            if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(words, words);
            _low += blocks;
            if (_low == 0) _high++;
            return;
        }
        for (var word = 0; word < words.Length; word += 2)
        {
            words[word] = BigEndian(_high);
            words[word + 1] = BigEndian(_low);
            if (++_low == 0) _high++; // carry into the high 64 bits
        }
    }

    private static ulong BigEndian(ulong value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    private static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        var vectors = MemoryMarshal.Cast<byte, Vector128<byte>>(data);
        var keys = MemoryMarshal.Cast<byte, Vector128<byte>>(keystream);
        for (var v = 0; v < vectors.Length; v++) vectors[v] ^= keys[v];
        for (var i = vectors.Length * Vector128<byte>.Count; i < data.Length; i++) data[i] ^= keystream[i];
    }

    public void Dispose() => _aes.Dispose();
}
