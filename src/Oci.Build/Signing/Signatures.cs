using System.Security.Cryptography;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>Makes and checks the base64 DER ECDSA-SHA256 signatures cosign stores in its annotation.</summary>
public static class Signatures
{
    /// <summary>Signs and checks the signature with the signer's public key: a signer that returns a wrong signature fails here, before any push.</summary>
    public static string SignChecked(IImageSigner signer, byte[] payload)
    {
        var der = signer.SignDer(payload);
        if (!Verify(signer.PublicKey, payload, der))
            throw new OciException(ErrorCodes.SignatureInvalid,
                $"The signature made with {signer.Description} does not verify with its public key; nothing was pushed. Check that the signer's key pair belongs together.");
        return Convert.ToBase64String(der);
    }

    public static bool Verify(ECDsa publicKey, byte[] payload, byte[] der)
    {
        try
        {
            return publicKey.VerifyData(payload, der, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public static bool VerifyBase64(ECDsa publicKey, byte[] payload, string base64)
    {
        try
        {
            return Verify(publicKey, payload, Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
