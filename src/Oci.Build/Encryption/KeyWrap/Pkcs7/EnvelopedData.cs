using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Oci.Build.Encryption.KeyWrap.Pkcs7;

/// <summary>
/// The parts of a CMS EnvelopedData (RFC 5652) needed to decrypt it: key transport recipients and the encrypted content.
/// Reads BER, and both proper AES parameters and ocicrypt's malformed AES-GCM ones
/// (<c>10 13 30 11 84 0c &lt;nonce&gt; 02 01 10</c>).
/// </summary>
internal sealed class EnvelopedData
{
    private const string EnvelopedDataOid = "1.2.840.113549.1.7.3";

    private EnvelopedData(IReadOnlyList<KeyTransRecipient> recipients, string algorithm, BerNode? parameters, byte[] encryptedContent)
    {
        Recipients = recipients;
        Algorithm = algorithm;
        Parameters = parameters;
        EncryptedContent = encryptedContent;
    }

    public IReadOnlyList<KeyTransRecipient> Recipients { get; }
    private string Algorithm { get; }
    private BerNode? Parameters { get; }
    private byte[] EncryptedContent { get; }

    public static EnvelopedData Parse(byte[] der)
    {
        try
        {
            var contentInfo = BerNode.Parse(der);
            if (contentInfo.Children.Count < 2 || contentInfo.Children[0].Oid() != EnvelopedDataOid)
                throw new FormatException("the pkcs7 entry is not CMS EnvelopedData");
            var enveloped = contentInfo.Children[1].Children[0]; // [0] EXPLICIT
            // version, [0] originatorInfo (optional), recipientInfos SET, encryptedContentInfo SEQUENCE, [1] attributes (optional)
            var recipientSet = enveloped.Children.First(c => c.Is(BerNode.Universal, BerNode.Set));
            var encryptedContentInfo = enveloped.Children.First(c => c.Is(BerNode.Universal, BerNode.Sequence));
            var recipients = recipientSet.Children.Where(r => r.Is(BerNode.Universal, BerNode.Sequence)).Select(KeyTransRecipient.Parse).ToList();
            var algorithmIdentifier = encryptedContentInfo.Children[1];
            var algorithm = algorithmIdentifier.Children[0].Oid();
            var parameters = algorithmIdentifier.Children.Count > 1 ? algorithmIdentifier.Children[1] : null;
            var content = encryptedContentInfo.Children.Skip(2).FirstOrDefault(c => c.Is(BerNode.ContextSpecific, 0))
                ?? throw new FormatException("the EnvelopedData has no encrypted content");
            return new EnvelopedData(recipients, algorithm, parameters, content.OctetBytes());
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new FormatException($"the pkcs7 entry is not readable CMS: {ex.Message}", ex);
        }
    }

    /// <summary>Decrypts the content with a recovered content key; null when the key does not fit.</summary>
    public byte[]? TryDecryptContent(byte[] key)
    {
        try
        {
            switch (Algorithm)
            {
                case "2.16.840.1.101.3.4.1.2" or "2.16.840.1.101.3.4.1.22" or "2.16.840.1.101.3.4.1.42": // AES-CBC
                    using (var aes = Aes.Create())
                    {
                        aes.Key = key;
                        return aes.DecryptCbc(EncryptedContent, Parameters!.OctetBytes(), PaddingMode.PKCS7);
                    }
                case "2.16.840.1.101.3.4.1.6" or "2.16.840.1.101.3.4.1.26" or "2.16.840.1.101.3.4.1.46": // AES-GCM
                    var (nonce, tagSize) = GcmParameters(Parameters ?? throw new FormatException("AES-GCM without parameters"));
                    if (EncryptedContent.Length < tagSize) return null;
                    var plaintext = new byte[EncryptedContent.Length - tagSize];
                    using (var gcm = new AesGcm(key, tagSize))
                        gcm.Decrypt(nonce, EncryptedContent.AsSpan(0, plaintext.Length), EncryptedContent.AsSpan(plaintext.Length), plaintext);
                    return plaintext;
                default:
                    throw new FormatException($"pkcs7 content encryption {Algorithm} is not supported (AES-CBC and AES-GCM are)");
            }
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 }, found wherever it is: ocicrypt
    /// wraps it in a primitive tag 0x10 and tags the nonce [4].
    /// </summary>
    private static (byte[] Nonce, int TagSize) GcmParameters(BerNode parameters)
    {
        byte[]? nonce = null;
        var tagSize = 12;
        void Visit(BerNode node, int depth)
        {
            if (depth > 4) return;
            if (node.Is(BerNode.Universal, BerNode.Integer) && node.Content.Length is > 0 and <= 2)
            {
                tagSize = node.Content.Length == 1 ? node.Content[0] : (node.Content[0] << 8) | node.Content[1];
                return;
            }
            if (!node.Constructed && (node.Is(BerNode.Universal, BerNode.OctetString) || node.TagClass == BerNode.ContextSpecific) && node.Content.Length is >= 7 and <= 16)
            {
                nonce ??= node.Content.ToArray();
                return;
            }
            if (node.Constructed || node.Is(BerNode.Universal, BerNode.Sequence))
                foreach (var child in node.Children) Visit(child, depth + 1);
        }
        Visit(parameters, 0);
        return (nonce ?? throw new FormatException("AES-GCM parameters carry no nonce"), tagSize);
    }
}

/// <summary>A KeyTransRecipientInfo: who (issuer + serial, or subject key identifier) and the encrypted content key.</summary>
internal sealed record KeyTransRecipient(byte[]? Issuer, byte[]? Serial, byte[]? SubjectKeyIdentifier, RSAEncryptionPadding Padding, byte[] EncryptedKey)
{
    public static KeyTransRecipient Parse(BerNode info)
    {
        var children = info.Children;
        var rid = children[1];
        byte[]? issuer = null, serial = null, ski = null;
        if (rid.Is(BerNode.Universal, BerNode.Sequence))
        {
            issuer = Encode(rid.Children[0]);
            serial = rid.Children[1].Content.ToArray();
        }
        else ski = rid.Content.ToArray();
        var algorithm = children[2].Children[0].Oid();
        var padding = algorithm == "1.2.840.113549.1.1.7" ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.Pkcs1;
        return new KeyTransRecipient(issuer, serial, ski, padding, children[3].OctetBytes());
    }

    public bool Matches(X509Certificate2 certificate)
    {
        if (Issuer is not null && Serial is not null)
            return Issuer.AsSpan().SequenceEqual(certificate.IssuerName.RawData) && TrimZeros(Serial).SequenceEqual(TrimZeros(certificate.SerialNumberBytes.Span));
        var extension = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault();
        return SubjectKeyIdentifier is not null && extension?.SubjectKeyIdentifierBytes.Span.SequenceEqual(SubjectKeyIdentifier) == true;
    }

    private static ReadOnlySpan<byte> TrimZeros(ReadOnlySpan<byte> value)
    {
        while (value.Length > 1 && value[0] == 0) value = value[1..];
        return value;
    }

    /// <summary>Re-encodes a Name as DER-ish TLV (definite length) so it compares with the certificate's issuer bytes.</summary>
    private static byte[] Encode(BerNode node)
    {
        var content = node.Constructed && node.Children.Count > 0 ? node.Children.SelectMany(Encode).ToArray() : node.Content.ToArray();
        var tag = (byte)((node.TagClass << 6) | (node.Constructed ? 0x20 : 0) | node.TagNumber);
        var length = content.Length switch
        {
            < 0x80 => new[] { (byte)content.Length },
            < 0x100 => [0x81, (byte)content.Length],
            < 0x10000 => [0x82, (byte)(content.Length >> 8), (byte)content.Length],
            _ => [0x83, (byte)(content.Length >> 16), (byte)(content.Length >> 8), (byte)content.Length],
        };
        return [tag, .. length, .. content];
    }
}
