using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>Unusable recipients: each a coded OCI3xxx error that names the recipient, and no layout written.</summary>
public class RecipientErrorTests
{
    private static void Fails(TempDirectory temp, string recipient, string code, KeyWrapContext? context = null)
    {
        var error = Assert.Throws<OciException>(() => EncryptionRecipient.Parse(recipient, context ?? new KeyWrapContext { BaseDirectory = temp.Path }));
        Assert.Equal(code, error.Code);
        Assert.Contains(recipient, error.Message);
    }

    [Theory]
    [InlineData("keys/prod.pub.pem")]
    [InlineData("jwe:")]
    [InlineData("rot13:key.pem")]
    [InlineData(":key.pem")]
    [InlineData("provider:bad name")]
    public void Malformed_recipient_strings(string recipient)
    {
        using var temp = new TempDirectory("malformed");
        Fails(temp, recipient, ErrorCodes.MalformedRecipient);
    }

    [Fact]
    public void Unreadable_and_wrong_type_key_files()
    {
        using var temp = new TempDirectory("wrongtype");
        var (rsaKey, rsaPub) = Tools.RsaKey(temp, "rsa");
        var (_, cert) = Tools.Certificate(temp, "cert");
        File.WriteAllText(temp.Combine("garbage.pem"), "not a key at all");
        Fails(temp, "jwe:missing.pem", ErrorCodes.KeyFileUnreadable);
        Fails(temp, "pgp:missing.asc", ErrorCodes.KeyFileUnreadable);
        Fails(temp, "jwe:" + temp.Path, ErrorCodes.KeyFileUnreadable); // a directory
        Fails(temp, "jwe:" + rsaKey, ErrorCodes.WrongKeyType);          // a private key where a public one belongs
        Fails(temp, "jwe:" + cert, ErrorCodes.WrongKeyType);
        Fails(temp, "jwe:garbage.pem", ErrorCodes.WrongKeyType);
        Fails(temp, "pgp:" + rsaPub, ErrorCodes.WrongKeyType);
        Fails(temp, "pkcs7:" + rsaPub, ErrorCodes.WrongKeyType);
    }

    [Fact]
    public void RSA_keys_under_2048_bits_are_refused_for_every_scheme()
    {
        using var temp = new TempDirectory("weak");
        var (_, pub) = Tools.RsaKey(temp, "small", bits: 1024);
        var (_, cert) = Tools.Certificate(temp, "small-cert", bits: 1024);
        var gpg = Tools.Gpg(temp, "weak", bits: 1024);
        Fails(temp, "jwe:" + pub, ErrorCodes.WeakKey);
        Fails(temp, "pkcs7:" + cert, ErrorCodes.WeakKey);
        Fails(temp, "pgp:" + gpg.PublicArmored, ErrorCodes.WeakKey);
    }

    [Fact]
    public void Unsupported_curves_are_refused()
    {
        using var temp = new TempDirectory("curves");
        var (_, k1) = Tools.EcKey(temp, "k1", "secp256k1");
        Tools.Openssl(temp.Path, "genpkey", "-algorithm", "ED25519", "-out", "ed.pem");
        Tools.Openssl(temp.Path, "pkey", "-in", "ed.pem", "-pubout", "-out", "ed.pub.pem");
        File.WriteAllText(temp.Combine("okp.jwk"), "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08\"}");
        Fails(temp, "jwe:" + k1, ErrorCodes.UnsupportedCurve);
        Fails(temp, "jwe:ed.pub.pem", ErrorCodes.UnsupportedCurve);
        Fails(temp, "jwe:okp.jwk", ErrorCodes.UnsupportedCurve);
    }

    [Fact]
    public void An_expired_certificate_is_refused()
    {
        using var temp = new TempDirectory("expired");
        var (_, cert) = Tools.Certificate(temp, "old", days: 1);
        // The certificate is valid for one day from now; three days on it has expired.
        Fails(temp, "pkcs7:" + cert, ErrorCodes.KeyNotValid, new KeyWrapContext { BaseDirectory = temp.Path, Now = DateTimeOffset.UtcNow.AddDays(3) });
        EncryptionRecipient.Parse("pkcs7:" + cert, new KeyWrapContext { BaseDirectory = temp.Path });
    }

    [Fact]
    public void Public_keys_in_DER_and_JWK_form_are_accepted()
    {
        using var temp = new TempDirectory("forms");
        var (_, pub) = Tools.RsaKey(temp, "rsa");
        var (_, ecPub) = Tools.EcKey(temp, "ec", "P-521");
        Tools.Openssl(temp.Path, "pkey", "-pubin", "-in", pub, "-outform", "DER", "-out", "rsa.pub.der");
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(pub));
        var p = rsa.ExportParameters(false);
        static string B(byte[] v) => Convert.ToBase64String(v).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        File.WriteAllText(temp.Combine("rsa.jwk"), $"{{\"kty\":\"RSA\",\"alg\":\"RSA-OAEP-256\",\"n\":\"{B(p.Modulus!)}\",\"e\":\"{B(p.Exponent!)}\"}}");
        var context = new KeyWrapContext { BaseDirectory = temp.Path };
        Assert.NotNull(EncryptionRecipient.Parse("jwe:rsa.pub.der", context));
        Assert.NotNull(EncryptionRecipient.Parse("jwe:rsa.jwk", context));
        Assert.NotNull(EncryptionRecipient.Parse("jwe:" + ecPub, context));
    }
}
