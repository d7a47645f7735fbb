using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Oci.Build.Oci;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Cms;

namespace Oci.Build.Encryption.KeyWrap.Pkcs7;

/// <summary>
/// <c>pkcs7:CERT</c>: the private options as DER CMS EnvelopedData (RSA PKCS#1 v1.5 key transport to each certificate,
/// IssuerAndSerialNumber, AES-256-CBC content), the form ocicrypt reads, in <c>org.opencontainers.image.enc.keys.pkcs7</c>.
/// Decryption needs each recipient's private key and certificate.
/// </summary>
public sealed class Pkcs7KeyWrapper : IKeyWrapper
{
    public const int MinimumRsaBits = 2048;

    public string Scheme => "pkcs7";

    public bool WrapsInProcess => true;

    private static string AnnotationKey => EncryptionAnnotations.KeysAnnotation("pkcs7");

    public IWrapRecipient ParseRecipient(string value, string recipient, KeyWrapContext context)
    {
        var path = context.Resolve(value);
        var certificate = ReadCertificate(RecipientFiles.Read(path, recipient))
            ?? throw new OciException(ErrorCodes.WrongKeyType, $"Encryption recipient '{recipient}': '{path}' is not an X.509 certificate (PEM or DER).");
        using (certificate)
        {
            if (certificate.NotAfter.ToUniversalTime() < context.Now.UtcDateTime)
                throw new OciException(ErrorCodes.KeyNotValid, $"Encryption recipient '{recipient}': the certificate '{certificate.Subject}' expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC.");
            if (certificate.NotBefore.ToUniversalTime() > context.Now.UtcDateTime)
                throw new OciException(ErrorCodes.KeyNotValid, $"Encryption recipient '{recipient}': the certificate '{certificate.Subject}' is not valid before {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC.");
            using var rsa = certificate.GetRSAPublicKey()
                ?? throw new OciException(ErrorCodes.WrongKeyType, $"Encryption recipient '{recipient}': the certificate '{certificate.Subject}' has a {certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value} key; PKCS7 recipients need RSA.");
            if (rsa.KeySize < MinimumRsaBits)
                throw new OciException(ErrorCodes.WeakKey, $"Encryption recipient '{recipient}': the certificate's RSA key has {rsa.KeySize} bits; use at least {MinimumRsaBits}.");
            return new Pkcs7Recipient(recipient, certificate.RawData);
        }
    }

    public IReadOnlyList<WrappedKeys> Wrap(IReadOnlyList<IWrapRecipient> recipients, byte[] privateOptions, KeyWrapContext context)
    {
        var generator = new CmsEnvelopedDataGenerator();
        foreach (var recipient in recipients.Cast<Pkcs7Recipient>().DistinctBy(r => Convert.ToHexString(r.Certificate)))
            generator.AddKeyTransRecipient(new Org.BouncyCastle.X509.X509Certificate(recipient.Certificate));
        var enveloped = generator.Generate(new CmsProcessableByteArray(privateOptions), Org.BouncyCastle.Asn1.Nist.NistObjectIdentifiers.IdAes256Cbc);
        return [new WrappedKeys(AnnotationKey, enveloped.ContentInfo.GetEncoded(Asn1Encodable.Der))];
    }

    public bool Reads(string annotationKey) => annotationKey == AnnotationKey;

    public byte[]? Unwrap(string annotationKey, byte[] entry, DecryptionKeySet keys, UnwrapAttempts attempts)
    {
        var material = keys.Parsed(Scheme, ReadKeyMaterial);
        if (material.Pairs.Count == 0)
        {
            attempts.Tried(Scheme, material.Certificates == 0
                ? "no certificate among the decryption keys (PKCS7 needs the recipient's certificate and its private key)"
                : "no private key matching the given certificate(s)");
            return null;
        }
        var envelope = EnvelopedData.Parse(entry);
        foreach (var (name, certificate, key) in material.Pairs)
        {
            attempts.Tried(Scheme, name);
            foreach (var recipient in envelope.Recipients.Where(r => r.Matches(certificate)))
            {
                byte[] contentKey;
                try
                {
                    contentKey = key.Decrypt(recipient.EncryptedKey, recipient.Padding);
                }
                catch (CryptographicException)
                {
                    continue;
                }
                if (envelope.TryDecryptContent(contentKey) is { } plaintext) return plaintext;
            }
        }
        return null;
    }

    private sealed record KeyMaterial(IReadOnlyList<(string Name, X509Certificate2 Certificate, RSA Key)> Pairs, int Certificates);

    /// <summary>Certificates and RSA private keys among the decryption keys, paired by public key.</summary>
    private static KeyMaterial ReadKeyMaterial(DecryptionKeySet keys)
    {
        var certificates = new List<(string Name, X509Certificate2 Certificate)>();
        var privateKeys = new List<(string Name, RSA Key)>();
        foreach (var file in keys.Files)
        {
            if (ReadCertificate(file.Content) is { } certificate) certificates.Add((file.Name, certificate));
            else if (ReadRsaPrivateKey(file.Content, file.Passphrase) is { } key) privateKeys.Add((file.Name, key));
        }
        var pairs = new List<(string, X509Certificate2, RSA)>();
        foreach (var (certificateName, certificate) in certificates)
        {
            using var publicKey = certificate.GetRSAPublicKey();
            if (publicKey is null) continue;
            var modulus = publicKey.ExportParameters(false).Modulus;
            foreach (var (keyName, key) in privateKeys)
            {
                if (key.ExportParameters(false).Modulus.AsSpan().SequenceEqual(modulus))
                    pairs.Add(($"{keyName} + {certificateName} ({certificate.Subject})", certificate, key));
            }
        }
        return new KeyMaterial(pairs, certificates.Count);
    }

    private static X509Certificate2? ReadCertificate(byte[] content)
    {
        try
        {
            var text = Encoding.ASCII.GetString(content);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
                return X509Certificate2.CreateFromPem(text);
            if (text.Contains("-----BEGIN", StringComparison.Ordinal)) return null;
            return X509CertificateLoader.LoadCertificate(content);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static RSA? ReadRsaPrivateKey(byte[] content, string? passphrase)
    {
        var rsa = RSA.Create();
        try
        {
            var text = Encoding.ASCII.GetString(content);
            if (text.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal) && passphrase is not null) rsa.ImportFromEncryptedPem(text, passphrase);
            else if (text.Contains("PRIVATE KEY-----", StringComparison.Ordinal)) rsa.ImportFromPem(text);
            else
            {
                try { rsa.ImportPkcs8PrivateKey(content, out _); }
                catch (CryptographicException) { rsa.ImportRSAPrivateKey(content, out _); }
            }
            return rsa;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            rsa.Dispose();
            return null;
        }
    }

    private sealed record Pkcs7Recipient(string Text, byte[] Certificate) : IWrapRecipient
    {
        public string Identity => "pkcs7:" + Convert.ToHexStringLower(SHA256.HashData(Certificate));
    }
}
