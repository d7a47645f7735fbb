using System.Security.Cryptography;

namespace Oci.Build.Signing;

/// <summary>Signs with a PEM EC P-256 private key file read into memory (never written anywhere, never logged).</summary>
public sealed class PemKeySigner : IImageSigner
{
    private readonly ECDsa _key;

    private PemKeySigner(string path, ECDsa key)
    {
        Description = path;
        _key = key;
        PublicKey = ECDsa.Create(key.ExportParameters(false));
    }

    public static PemKeySigner Load(string path) => new(path, SigningKeys.ReadPrivateKey(path));

    public string Description { get; }

    public ECDsa PublicKey { get; }

    public byte[] SignDer(byte[] payload) => _key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public void Dispose()
    {
        _key.Dispose();
        PublicKey.Dispose();
    }
}
