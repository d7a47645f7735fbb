using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>The real tools the encryption tests use as oracles and key makers.</summary>
public static class Tools
{
    public static ProcessResult Skopeo(params string[] arguments) =>
        ProcessRunner.Run("skopeo", ["--insecure-policy", .. arguments], timeout: TimeSpan.FromMinutes(2));

    public static void Openssl(string directory, params string[] arguments) =>
        ProcessRunner.Run("openssl", arguments, directory).EnsureSuccess("openssl " + string.Join(' ', arguments));

    /// <summary>An RSA key pair: PKCS#8 private key PEM and SPKI public key PEM.</summary>
    public static (string Private, string Public) RsaKey(TempDirectory temp, string name, int bits = 2048)
    {
        var key = temp.Combine(name + ".pem");
        var pub = temp.Combine(name + ".pub.pem");
        Openssl(temp.Path, "genpkey", "-algorithm", "RSA", "-pkeyopt", $"rsa_keygen_bits:{bits}", "-out", key);
        Openssl(temp.Path, "pkey", "-in", key, "-pubout", "-out", pub);
        return (key, pub);
    }

    /// <summary>An EC key pair: PKCS#8 private key (skopeo ignores SEC1) and SPKI public key.</summary>
    public static (string Private, string Public) EcKey(TempDirectory temp, string name, string curve = "P-256")
    {
        var key = temp.Combine(name + ".pem");
        var pub = temp.Combine(name + ".pub.pem");
        Openssl(temp.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", $"ec_paramgen_curve:{curve}", "-out", key);
        Openssl(temp.Path, "pkey", "-in", key, "-pubout", "-out", pub);
        return (key, pub);
    }

    /// <summary>A self-signed RSA certificate and its key, for PKCS7.</summary>
    public static (string Key, string Certificate) Certificate(TempDirectory temp, string name, int days = 2, int bits = 2048)
    {
        var key = temp.Combine(name + ".key.pem");
        var cert = temp.Combine(name + ".cert.pem");
        Openssl(temp.Path, "req", "-x509", "-newkey", $"rsa:{bits}", "-nodes", "-keyout", key, "-out", cert, "-days", days.ToString(), "-subj", $"/CN={name}");
        return (key, cert);
    }
}
