using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;

namespace Oci.Build.Signing;

/// <summary>
/// Signs with a PEM EC P-256 private key file read into memory (never written anywhere, never logged). Signatures are
/// deterministic ECDSA (RFC 6979: the nonce derived from the key and the message): the same key and payload always give
/// the same signature, so a signed build stays reproducible (the same signature objects and checksum signature in two
/// builds' archives) and nothing depends on a random source. Any ECDSA verifier accepts them (cosign, containers/image,
/// openssl): RFC 6979 changes only how k is chosen. .NET's ECDsa chooses k at random, hence BouncyCastle here.
/// </summary>
public sealed class PemKeySigner : IImageSigner
{
    private static readonly X9ECParameters Curve = ECNamedCurveTable.GetByName("P-256");
    private readonly ECPrivateKeyParameters _key;

    private PemKeySigner(string path, ECDsa key)
    {
        Description = path;
        var parameters = key.ExportParameters(true);
        _key = new ECPrivateKeyParameters(new BigInteger(1, parameters.D!),
            new ECDomainParameters(Curve.Curve, Curve.G, Curve.N, Curve.H, Curve.GetSeed()));
        CryptographicOperations.ZeroMemory(parameters.D);
        PublicKey = ECDsa.Create(key.ExportParameters(false));
        key.Dispose();
    }

    public static PemKeySigner Load(string path) => new(path, SigningKeys.ReadPrivateKey(path));

    public string Description { get; }

    public ECDsa PublicKey { get; }

    public byte[] SignDer(byte[] payload)
    {
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, _key);
        var rs = signer.GenerateSignature(SHA256.HashData(payload));
        return new DerSequence(new DerInteger(rs[0]), new DerInteger(rs[1])).GetDerEncoded();
    }

    public void Dispose() => PublicKey.Dispose();
}
