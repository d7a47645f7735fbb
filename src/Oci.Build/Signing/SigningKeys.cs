using System.Security.Cryptography;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>Opens <c>ContainerSigningKey</c> values and public keys, with coded errors that say what to do.</summary>
public static class SigningKeys
{
    /// <summary>Where an encrypted PEM key's password comes from (as cosign's COSIGN_PASSWORD): never a property, never logged.</summary>
    public const string PasswordVariable = "OCI_SIGNING_KEY_PASSWORD";

    /// <summary>The OID of NIST P-256 (secp256r1), the one curve cosign and containers/image key signatures use.</summary>
    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>A PEM private key file, or <c>provider:NAME</c> (the program <c>oci-signer-NAME</c> on PATH).</summary>
    /// <param name="searchPath">Where signer programs are looked for (PATH's syntax); null: the PATH environment variable.</param>
    public static IImageSigner Open(string key, string baseDirectory, string? searchPath = null)
    {
        key = key.Trim();
        if (key.StartsWith("provider:", StringComparison.Ordinal)) return ProgramSigner.Find(key["provider:".Length..], searchPath);
        return PemKeySigner.Load(Path.GetFullPath(key, baseDirectory));
    }

    /// <summary>Reads an EC P-256 private key (PKCS#8, SEC1 "EC PRIVATE KEY", or encrypted PKCS#8 with <see cref="PasswordVariable"/>).</summary>
    public static ECDsa ReadPrivateKey(string path)
    {
        var pem = ReadPem(path, "signing key", ErrorCodes.SigningKeyUnreadable);
        var ecdsa = ECDsa.Create();
        try
        {
            if (pem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
            {
                var password = Environment.GetEnvironmentVariable(PasswordVariable);
                if (string.IsNullOrEmpty(password))
                    throw new OciException(ErrorCodes.SigningKeyPassword,
                        $"The signing key {path} is encrypted; set the environment variable {PasswordVariable} to its password (it is never logged).");
                try
                {
                    ecdsa.ImportFromEncryptedPem(pem, password);
                }
                catch (CryptographicException ex)
                {
                    throw new OciException(ErrorCodes.SigningKeyPassword,
                        $"The signing key {path} cannot be decrypted with the password in {PasswordVariable} (wrong password, or not an EC key): {ex.Message}", ex);
                }
            }
            else if (pem.Contains("SIGSTORE PRIVATE KEY-----", StringComparison.Ordinal) || pem.Contains("COSIGN PRIVATE KEY-----", StringComparison.Ordinal))
            {
                throw new OciException(ErrorCodes.SigningKeyType,
                    $"{path} is a cosign-encrypted key (scrypt + secretbox), which is not read here. Export it as PKCS#8 PEM (cosign import/export, " +
                    "or make the key with openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).");
            }
            else if (!pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            {
                throw new OciException(ErrorCodes.SigningKeyType,
                    $"{path} holds no private key{(pem.Contains("PUBLIC KEY-----", StringComparison.Ordinal) ? " (it is a public key: sign with the private half)" : "")}. " +
                    "ContainerSigningKey is a PEM EC P-256 private key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).");
            }
            else
            {
                ImportOrExplain(ecdsa, pem, path);
            }
            CheckP256(ecdsa, path, "signing key", ErrorCodes.SigningKeyType);
            return ecdsa;
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    /// <summary>Reads a PEM public key (SubjectPublicKeyInfo, as <c>openssl pkey -pubout</c> and <c>cosign generate-key-pair</c> write it).</summary>
    public static ECDsa ReadPublicKey(string path)
    {
        var pem = ReadPem(path, "public key", ErrorCodes.VerificationKeyUnreadable);
        return ParsePublicKey(pem, path);
    }

    public static ECDsa ParsePublicKey(string pem, string what)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            if (!pem.Contains("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal))
                throw new OciException(ErrorCodes.VerificationKeyUnreadable,
                    $"{what} holds no PEM public key (-----BEGIN PUBLIC KEY-----); make one with openssl pkey -in KEY.pem -pubout -out KEY.pub.pem.");
            try
            {
                ecdsa.ImportFromPem(pem);
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                throw new OciException(ErrorCodes.VerificationKeyUnreadable, $"{what} is not an EC public key (RSA and other kinds are not cosign key signatures): {ex.Message}", ex);
            }
            CheckP256(ecdsa, what, "public key", ErrorCodes.VerificationKeyUnreadable);
            return ecdsa;
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    private static string ReadPem(string path, string what, string code)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new OciException(code, $"The {what} {path} does not exist.");
            if (info.Length > 64 * 1024) throw new OciException(code, $"The {what} {path} is {info.Length} bytes; a PEM key is a few hundred. Refusing it.");
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OciException(code, $"The {what} {path} cannot be read: {ex.Message}", ex);
        }
    }

    private static void ImportOrExplain(ECDsa ecdsa, string pem, string path)
    {
        try
        {
            ecdsa.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // Say which kind it is when it is another algorithm: the usual mistake is an RSA key.
            using var rsa = RSA.Create();
            var isRsa = false;
            try
            {
                rsa.ImportFromPem(pem);
                isRsa = true;
            }
            catch (Exception inner) when (inner is CryptographicException or ArgumentException)
            {
            }
            throw new OciException(ErrorCodes.SigningKeyType,
                $"{path} is {(isRsa ? "an RSA key" : "not a readable EC private key")}; cosign key signatures here are ECDSA P-256. " +
                "Make one with openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out cosign.key", ex);
        }
    }

    private static void CheckP256(ECDsa ecdsa, string path, string what, string code)
    {
        var curve = ecdsa.ExportParameters(false).Curve;
        if (curve.Oid?.Value != P256Oid && curve.Oid?.FriendlyName is not ("nistP256" or "ECDSA_P256" or "secp256r1"))
            throw new OciException(code,
                $"The {what} {path} is on curve {curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "(explicit parameters)"}; cosign key signatures need P-256 (prime256v1). " +
                "Make one with openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256");
    }
}
