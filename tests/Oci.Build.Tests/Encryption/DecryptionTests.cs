using System.Text;
using Oci.Build.Encryption.Cipher;
using Oci.Build.Encryption.KeyWrap.Jwe;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>Our decryptor: exact plain image back, integrity before plaintext, clear failures, tolerance of other writers.</summary>
public class DecryptionTests
{
    private const string JweKeys = "org.opencontainers.image.enc.keys.jwe";

    [Fact]
    public void A_tampered_layer_with_a_consistent_digest_fails_authentication_and_nothing_is_written()
    {
        using var temp = new TempDirectory("tamper");
        var image = TestImage.Build(temp, dataSize: 50_000);
        var (key, pub) = Tools.RsaKey(temp, "rsa");
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + pub]);
        // A registry that rewrites a blob and the manifest to match: only the HMAC can tell.
        LayoutEdit.RewriteLayers(encrypted, (layer, layout) =>
        {
            if (!layer.MediaType.EndsWith("+encrypted", StringComparison.Ordinal)) return layer;
            var bytes = File.ReadAllBytes(layout.BlobPath(layer.Digest));
            bytes[bytes.Length / 2] ^= 0x01;
            return LayoutEdit.ReplaceBlob(layer, layout, bytes);
        });

        var destination = temp.Combine("dec");
        var error = Assert.Throws<OciException>(() => Engine.Decrypt(encrypted, temp, [key], name: "dec"));
        Assert.Equal(ErrorCodes.LayerIntegrity, error.Code);
        Assert.False(Directory.Exists(destination));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(temp.Path), p => Path.GetFileName(p).StartsWith(".dec", StringComparison.Ordinal));
    }

    [Fact]
    public void A_flipped_byte_in_the_blob_file_is_a_digest_error_and_nothing_is_written()
    {
        using var temp = new TempDirectory("flip");
        var image = TestImage.Build(temp, dataSize: 50_000);
        var (key, pub) = Tools.RsaKey(temp, "rsa");
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + pub]);
        var (_, manifest) = LayoutAssert.ReadImage(encrypted);
        var blob = Path.Combine(encrypted, "blobs", "sha256", manifest.Layers[^1].Digest.Hex);
        var bytes = File.ReadAllBytes(blob);
        bytes[100] ^= 0x80;
        File.WriteAllBytes(blob, bytes);

        var error = Assert.Throws<OciException>(() => Engine.Decrypt(encrypted, temp, [key], name: "dec"));
        Assert.Equal(ErrorCodes.DigestMismatch, error.Code);
        Assert.False(Directory.Exists(temp.Combine("dec")));
    }

    [Fact]
    public void A_wrong_key_names_the_schemes_present_and_the_keys_tried()
    {
        using var temp = new TempDirectory("wrongkey");
        var image = TestImage.Build(temp, dataSize: 10_000);
        var (_, pub) = Tools.RsaKey(temp, "right");
        var (_, cert) = Tools.Certificate(temp, "someone");
        var (wrong, _) = Tools.RsaKey(temp, "wrong");
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + pub, "pkcs7:" + cert]);

        var error = Assert.Throws<OciException>(() => Engine.Decrypt(encrypted, temp, [wrong], name: "dec"));
        Assert.Equal(ErrorCodes.NoMatchingKey, error.Code);
        Assert.Contains("jwe, pkcs7", error.Message);
        Assert.Contains("wrong.pem (RSA 2048-bit)", error.Message);
        Assert.Contains("pkcs7: no certificate", error.Message);
        Assert.False(Directory.Exists(temp.Combine("dec")));
    }

    [Fact]
    public void Several_comma_separated_entries_and_a_wrong_digest_in_the_options_are_accepted()
    {
        using var temp = new TempDirectory("lenient");
        var image = TestImage.Build(temp, dataSize: 10_000);
        var (key, pub) = Tools.RsaKey(temp, "rsa");
        var (_, otherPub) = Tools.RsaKey(temp, "other");
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + pub]);
        using var privateKey = JweKey.Read(File.ReadAllBytes(key), "key");
        using var otherKey = JweKey.Read(File.ReadAllBytes(otherPub), "other");
        using var publicKey = JweKey.Read(File.ReadAllBytes(pub), "pub");

        LayoutEdit.RewriteLayers(encrypted, (layer, _) =>
        {
            if (layer.Annotation(JweKeys) is not { } value) return layer;
            // Re-wrap the same options with a stale digest, then list an entry for someone else first.
            var options = JsonWebEncryption.Decrypt(Encoding.UTF8.GetString(Convert.FromBase64String(value)), [privateKey])!;
            var stale = PrivateLayerOptions.Parse(options) with { Digest = "sha256:" + new string('0', 64) };
            var forOther = Convert.ToBase64String(JsonWebEncryption.Encrypt(stale.ToJson(), [otherKey]));
            var forUs = Convert.ToBase64String(JsonWebEncryption.Encrypt(stale.ToJson(), [publicKey]));
            return layer.WithAnnotation(JweKeys, forOther + "," + forUs);
        });
        Engine.DecryptsToPlain(image, encrypted, temp, key);
    }

    [Fact]
    public void A_missing_public_options_annotation_is_a_clear_error()
    {
        using var temp = new TempDirectory("nopubopts");
        var image = TestImage.Build(temp, dataSize: 10_000);
        var (key, pub) = Tools.RsaKey(temp, "rsa");
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + pub]);
        LayoutEdit.RewriteLayers(encrypted, (layer, _) => layer.Annotations is null ? layer
            : layer with { Annotations = layer.Annotations.Where(a => a.Key != "org.opencontainers.image.enc.pubopts").ToDictionary() });
        var error = Assert.Throws<OciException>(() => Engine.Decrypt(encrypted, temp, [key]));
        Assert.Equal(ErrorCodes.InvalidEncryptedLayer, error.Code);
    }

    [Fact]
    public void PGP_secret_key_with_a_passphrase_opens_with_it_and_says_so_without()
    {
        using var temp = new TempDirectory("pgp-pass");
        var image = TestImage.Build(temp, dataSize: 10_000);
        var gpg = Tools.Gpg(temp, "grace", passphrase: "s3cret");
        var encrypted = Engine.Encrypt(image, temp, ["pgp:" + gpg.PublicArmored]);
        // The passphrase comes from a file or an environment variable, never inline (process lists, build logs).
        var passFile = temp.Combine("pgp.pass");
        File.WriteAllText(passFile, "s3cret\n");
        Engine.DecryptsToPlain(image, encrypted, temp, gpg.SecretBinary + ":pass-file=" + passFile);
        var inline = Assert.Throws<OciException>(() => Engine.Decrypt(encrypted, temp, [gpg.SecretBinary + ":pass=s3cret"]));
        Assert.Equal(ErrorCodes.InlinePassphrase, inline.Code);
        Assert.DoesNotContain("s3cret", inline.Message);
        var unset = Assert.Throws<OciException>(() => Engine.Decrypt(encrypted, temp, [gpg.SecretBinary + ":pass-env=OCI_BUILD_TEST_UNSET_PASSPHRASE"]));
        Assert.Equal(ErrorCodes.DecryptionKeyUnreadable, unset.Code);
        var error = Assert.Throws<OciException>(() => Engine.Decrypt(encrypted, temp, [gpg.SecretBinary]));
        Assert.Equal(ErrorCodes.NoMatchingKey, error.Code);
        Assert.Contains("passphrase is missing", error.Message);
    }
}
