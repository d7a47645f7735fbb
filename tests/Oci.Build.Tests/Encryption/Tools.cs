using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>The real tools the encryption tests use as oracles and key makers.</summary>
public static class Tools
{
    public static ProcessResult Skopeo(params string[] arguments) => Skopeo(null, arguments);

    public static ProcessResult Skopeo(IDictionary<string, string?>? environment, params string[] arguments) =>
        ProcessRunner.Run("skopeo", ["--insecure-policy", .. arguments], environment: environment, timeout: TimeSpan.FromMinutes(2));

    /// <summary>skopeo copy with encryption keys, from the plain image to a new layout; returns its path.</summary>
    public static string SkopeoEncrypt(TestImage image, TempDirectory temp, IDictionary<string, string?>? environment, params string[] encryptionKeys)
    {
        var encrypted = temp.Combine("skopeo-enc-" + Guid.NewGuid().ToString("N")[..8]);
        var arguments = new List<string> { "copy" };
        foreach (var key in encryptionKeys) arguments.AddRange(["--encryption-key", key]);
        arguments.AddRange([$"oci:{image.PlainLayout}:{image.Tag}", $"oci:{encrypted}:{image.Tag}"]);
        Skopeo(environment, [.. arguments]).EnsureSuccess("skopeo copy --encryption-key");
        return encrypted;
    }

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

    /// <summary>A GnuPG home with one RSA key (primary + encryption subkey, no passphrase), exported as files.</summary>
    public sealed record GpgKey(string Home, string Email, string PublicArmored, string SecretBinary)
    {
        public Dictionary<string, string?> Environment => new() { ["GNUPGHOME"] = Home };
    }

    public static GpgKey Gpg(TempDirectory temp, string name, string? passphrase = null, int bits = 2048)
    {
        var home = temp.Combine("gnupg-" + name);
        Directory.CreateDirectory(home);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = new Dictionary<string, string?> { ["GNUPGHOME"] = home };
        var email = $"{name}@example.com";
        string[] batch = ["--batch", "--pinentry-mode", "loopback", "--passphrase", passphrase ?? ""];
        ProcessResult Gpg(params string[] args) => ProcessRunner.Run("gpg", [.. batch, .. args], home, env).EnsureSuccess("gpg " + string.Join(' ', args));
        Gpg("--quick-generate-key", $"{name} <{email}>", $"rsa{bits}", "sign,cert", "never");
        var fingerprint = ProcessRunner.Run("gpg", ["--batch", "--with-colons", "--list-keys", email], home, env).StandardOutput
            .Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
        Gpg("--quick-add-key", fingerprint, $"rsa{bits}", "encr", "never");
        var publicKey = temp.Combine(name + ".asc");
        var secretKey = temp.Combine(name + ".sec.gpg");
        File.WriteAllText(publicKey, Gpg("--armor", "--export", email).StandardOutput);
        // Binary secret keyring, as skopeo wants it; ProcessRunner captures text, so let gpg write the file itself.
        Gpg("--output", secretKey, "--export-secret-keys", email);
        ProcessRunner.Run("gpgconf", ["--kill", "gpg-agent"], home, env);
        return new GpgKey(home, email, publicKey, secretKey);
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
