using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>OpenPGP and PKCS7 against skopeo, both directions, and all three schemes on one layer.</summary>
public class PgpPkcs7SkopeoTests
{
    [Fact]
    public void Skopeo_decrypts_our_PGP_encryption_with_a_binary_secret_keyring()
    {
        using var temp = new TempDirectory("pgp");
        var image = TestImage.Build(temp, dataSize: 20_000);
        var gpg = Tools.Gpg(temp, "alice");
        var encrypted = Engine.Encrypt(image, temp, ["pgp:" + gpg.PublicArmored]);
        JweSkopeoTests.SkopeoDecrypts(image, temp, encrypted, gpg.SecretBinary);
        Engine.DecryptsToPlain(image, encrypted, temp, gpg.SecretBinary);
    }

    [Fact]
    public void We_decrypt_skopeo_PGP_encryption()
    {
        using var temp = new TempDirectory("skopeo-pgp");
        var image = TestImage.Build(temp, dataSize: 20_000);
        var gpg = Tools.Gpg(temp, "bob");
        var encrypted = Tools.SkopeoEncrypt(image, temp, gpg.Environment, "pgp:" + gpg.Email);
        LayoutAssert.SameImage(image.ManifestDocument, Engine.Decrypt(encrypted, temp, [gpg.SecretBinary]), image.Tag);
    }

    [Fact]
    public void Skopeo_decrypts_our_PKCS7_encryption_with_key_and_certificate()
    {
        using var temp = new TempDirectory("pkcs7");
        var image = TestImage.Build(temp, dataSize: 20_000);
        var (key, cert) = Tools.Certificate(temp, "carol");
        var encrypted = Engine.Encrypt(image, temp, ["pkcs7:" + cert]);
        JweSkopeoTests.SkopeoDecrypts(image, temp, encrypted, key, cert);
        Engine.DecryptsToPlain(image, encrypted, temp, key, cert);
    }

    [Fact]
    public void We_decrypt_skopeo_PKCS7_encryption_with_its_malformed_GCM_parameters()
    {
        using var temp = new TempDirectory("skopeo-pkcs7");
        var image = TestImage.Build(temp, dataSize: 20_000);
        var (key, cert) = Tools.Certificate(temp, "dave");
        var encrypted = Tools.SkopeoEncrypt(image, temp, null, "pkcs7:" + cert);
        var (_, manifest) = LayoutAssert.ReadImage(encrypted, image.Tag);
        var envelope = Convert.FromBase64String(manifest.Layers[^1].Annotation("org.opencontainers.image.enc.keys.pkcs7")!);
        Assert.Contains("10-13-30-11-84-0C", BitConverter.ToString(envelope)); // the malformed AES-GCM parameters this test is about
        LayoutAssert.SameImage(image.ManifestDocument, Engine.Decrypt(encrypted, temp, [key, cert]), image.Tag);
    }

    [Fact]
    public void One_layer_for_JWE_PGP_and_PKCS7_recipients_opens_with_any_of_their_keys()
    {
        using var temp = new TempDirectory("all3");
        var image = TestImage.Build(temp, dataSize: 20_000);
        var (rsaKey, rsaPub) = Tools.RsaKey(temp, "rsa");
        var gpg = Tools.Gpg(temp, "erin");
        var (certKey, cert) = Tools.Certificate(temp, "frank");
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + rsaPub, "pgp:" + gpg.PublicArmored, "pkcs7:" + cert]);

        var (_, manifest) = LayoutAssert.ReadImage(encrypted);
        foreach (var scheme in new[] { "jwe", "pgp", "pkcs7" })
            Assert.Single(manifest.Layers[1].Annotation("org.opencontainers.image.enc.keys." + scheme)!.Split(','));

        JweSkopeoTests.SkopeoDecrypts(image, temp, encrypted, rsaKey);
        JweSkopeoTests.SkopeoDecrypts(image, temp, encrypted, gpg.SecretBinary);
        JweSkopeoTests.SkopeoDecrypts(image, temp, encrypted, certKey, cert);
        Engine.DecryptsToPlain(image, encrypted, temp, gpg.SecretBinary);
        Engine.DecryptsToPlain(image, encrypted, temp, certKey, cert);
    }
}
