using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Oci.Build.Encryption.KeyWrap.Jwe;

/// <summary>The Concat KDF (NIST SP 800-56A) with SHA-256, as JWE's ECDH-ES derives its key (RFC 7518 §4.6.2).</summary>
public static class ConcatKdf
{
    public static byte[] DeriveKey(ReadOnlySpan<byte> sharedSecret, string algorithmId, ReadOnlySpan<byte> partyUInfo, ReadOnlySpan<byte> partyVInfo, int keyBits)
    {
        var algorithm = Encoding.ASCII.GetBytes(algorithmId);
        using var otherInfo = new MemoryStream();
        WriteLengthPrefixed(otherInfo, algorithm);
        WriteLengthPrefixed(otherInfo, partyUInfo);
        WriteLengthPrefixed(otherInfo, partyVInfo);
        WriteUInt32(otherInfo, (uint)keyBits); // SuppPubInfo: key length in bits; SuppPrivInfo is empty

        var keyBytes = keyBits / 8;
        var output = new byte[keyBytes];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> digest = stackalloc byte[32];
        Span<byte> counter = stackalloc byte[4];
        for (uint round = 1, offset = 0; offset < keyBytes; round++, offset += 32)
        {
            BinaryPrimitives.WriteUInt32BigEndian(counter, round);
            hash.AppendData(counter);
            hash.AppendData(sharedSecret);
            hash.AppendData(otherInfo.GetBuffer().AsSpan(0, (int)otherInfo.Length));
            hash.GetHashAndReset(digest);
            digest[..Math.Min(32, keyBytes - (int)offset)].CopyTo(output.AsSpan((int)offset));
        }
        return output;
    }

    private static void WriteLengthPrefixed(Stream stream, ReadOnlySpan<byte> data)
    {
        WriteUInt32(stream, (uint)data.Length);
        stream.Write(data);
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        stream.Write(bytes);
    }
}
