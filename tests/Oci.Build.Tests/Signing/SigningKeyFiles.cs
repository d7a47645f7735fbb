using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Signing;

/// <summary>Keys made by openssl, as a user makes them (docs/trust.md): the good ones and the usual mistakes.</summary>
public sealed class SigningKeyFiles : IDisposable
{
    public const string Password = "correct horse battery staple";
    private readonly TempDirectory _root = new("keys");

    public SigningKeyFiles()
    {
        OpenSsl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", Pkcs8);
        OpenSsl("pkey", "-in", Pkcs8, "-pubout", "-out", Public);
        OpenSsl("ecparam", "-name", "prime256v1", "-genkey", "-out", Sec1);
        OpenSsl("pkey", "-in", Sec1, "-pubout", "-out", Sec1Public);
        OpenSsl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", Other);
        OpenSsl("pkey", "-in", Other, "-pubout", "-out", OtherPublic);
        OpenSsl("pkcs8", "-topk8", "-in", Pkcs8, "-v2", "aes-256-cbc", "-passout", "pass:" + Password, "-out", Encrypted);
        OpenSsl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", Rsa);
        OpenSsl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", P384);
        OpenSsl("pkey", "-in", P384, "-pubout", "-out", P384Public);
    }

    public string Pkcs8 => _root.Combine("cosign.key");
    public string Public => _root.Combine("cosign.pub");
    public string Sec1 => _root.Combine("sec1.key");
    public string Sec1Public => _root.Combine("sec1.pub");
    public string Other => _root.Combine("other.key");
    public string OtherPublic => _root.Combine("other.pub");
    public string Encrypted => _root.Combine("encrypted.key");
    public string Rsa => _root.Combine("rsa.key");
    public string P384 => _root.Combine("p384.key");
    public string P384Public => _root.Combine("p384.pub");
    public string Combine(params string[] parts) => _root.Combine(parts);

    /// <summary>
    /// A directory with <c>oci-signer-NAME</c>: the documented signer protocol in a few lines of shell over openssl.
    /// <paramref name="signKey"/> signs, <paramref name="publicKeyOf"/> is what it claims as its public key.
    /// </summary>
    public string SignerDirectory(string name, string signKey, string publicKeyOf)
    {
        var directory = _root.Combine("signers-" + name);
        Directory.CreateDirectory(directory);
        var script = Path.Combine(directory, "oci-signer-" + name);
        File.WriteAllText(script, $"""
            #!/bin/sh
            set -e
            case "$1" in
              public-key) openssl pkey -in '{publicKeyOf}' -pubout ;;
              sign) openssl dgst -sha256 -sign '{signKey}' | base64 -w0 ;;
              *) echo "unknown command $1" >&2; exit 2 ;;
            esac
            """.Replace("\r", ""));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    }

    private static void OpenSsl(params string[] arguments) => ProcessRunner.Run("openssl", arguments).EnsureSuccess("openssl " + arguments[0]);

    public void Dispose() => _root.Dispose();
}
