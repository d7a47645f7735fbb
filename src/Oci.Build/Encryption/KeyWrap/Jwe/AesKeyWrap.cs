using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Oci.Build.Encryption.KeyWrap.Jwe;

/// <summary>AES Key Wrap (RFC 3394, default IV), as JWE's <c>A*KW</c> algorithms use it. .NET offers only the padded variant (RFC 5649).</summary>
public static class AesKeyWrap
{
    private const ulong DefaultIv = 0xA6A6A6A6A6A6A6A6;

    public static byte[] Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key)
    {
        if (key.Length % 8 != 0 || key.Length < 16) throw new ArgumentException("Key wrap needs a key of 16 bytes or more, a multiple of 8.", nameof(key));
        using var aes = Aes.Create();
        aes.Key = kek.ToArray();
        var n = key.Length / 8;
        var r = key.ToArray();
        var a = DefaultIv;
        Span<byte> block = stackalloc byte[16];
        for (var j = 0; j < 6; j++)
        {
            for (var i = 1; i <= n; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(block, a);
                r.AsSpan((i - 1) * 8, 8).CopyTo(block[8..]);
                aes.EncryptEcb(block, block, PaddingMode.None);
                a = BinaryPrimitives.ReadUInt64BigEndian(block) ^ (ulong)(n * j + i);
                block[8..].CopyTo(r.AsSpan((i - 1) * 8, 8));
            }
        }
        var output = new byte[key.Length + 8];
        BinaryPrimitives.WriteUInt64BigEndian(output, a);
        r.CopyTo(output, 8);
        return output;
    }

    /// <summary>Unwraps, or throws <see cref="CryptographicException"/> when the integrity check fails (wrong key).</summary>
    public static byte[] Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped)
    {
        if (wrapped.Length % 8 != 0 || wrapped.Length < 24) throw new CryptographicException("A wrapped key must be 24 bytes or more, a multiple of 8.");
        using var aes = Aes.Create();
        aes.Key = kek.ToArray();
        var n = wrapped.Length / 8 - 1;
        var a = BinaryPrimitives.ReadUInt64BigEndian(wrapped);
        var r = wrapped[8..].ToArray();
        Span<byte> block = stackalloc byte[16];
        for (var j = 5; j >= 0; j--)
        {
            for (var i = n; i >= 1; i--)
            {
                BinaryPrimitives.WriteUInt64BigEndian(block, a ^ (ulong)(n * j + i));
                r.AsSpan((i - 1) * 8, 8).CopyTo(block[8..]);
                aes.DecryptEcb(block, block, PaddingMode.None);
                a = BinaryPrimitives.ReadUInt64BigEndian(block);
                block[8..].CopyTo(r.AsSpan((i - 1) * 8, 8));
            }
        }
        if (a != DefaultIv) throw new CryptographicException("AES key unwrap failed: wrong key or corrupted data.");
        return r;
    }
}
