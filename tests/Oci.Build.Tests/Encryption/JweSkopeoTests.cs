using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>Our JWE encryption, skopeo's decryption (and the reverse).</summary>
public class JweSkopeoTests
{
    [Fact]
    public void Skopeo_decrypts_our_JWE_RSA_encryption_to_the_plain_image()
    {
        using var temp = new TempDirectory("jwe-rsa");
        var image = TestImage.Build(temp);
        var (key, pub) = Tools.RsaKey(temp, "rsa");
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + pub]);

        var (_, manifest) = LayoutAssert.ReadImage(encrypted);
        Assert.Equal(image.BaseLayers[0], manifest.Layers[0].Digest); // base layers stay plain
        Assert.All(manifest.Layers.Skip(1), l => Assert.Equal(MediaTypes.OciLayerGzip + "+encrypted", l.MediaType));
        LayoutAssert.HasNoBlob(encrypted, image.AddedLayers);

        SkopeoDecrypts(image, temp, encrypted, key);
        Engine.DecryptsToPlain(image, encrypted, temp, key);
    }

    [Theory]
    [InlineData("P-256")]
    [InlineData("P-384")]
    [InlineData("P-521")]
    public void Skopeo_decrypts_our_JWE_EC_encryption(string curve)
    {
        using var temp = new TempDirectory("jwe-ec");
        var image = TestImage.Build(temp, dataSize: 20_000);
        var (key, pub) = Tools.EcKey(temp, "ec", curve);
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + pub]);
        SkopeoDecrypts(image, temp, encrypted, key);
        Engine.DecryptsToPlain(image, encrypted, temp, key);
    }

    [Fact]
    public void Several_JWE_recipients_share_one_general_JWE_and_each_key_decrypts_alone()
    {
        using var temp = new TempDirectory("jwe-multi");
        var image = TestImage.Build(temp, dataSize: 20_000);
        var (rsaKey, rsaPub) = Tools.RsaKey(temp, "rsa");
        var (ecKey, ecPub) = Tools.EcKey(temp, "ec");
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + rsaPub, "jwe:" + ecPub]);

        var (_, manifest) = LayoutAssert.ReadImage(encrypted);
        var entries = manifest.Layers[1].Annotation("org.opencontainers.image.enc.keys.jwe")!.Split(',');
        Assert.Single(entries); // one JWE for all JWE recipients of a run
        var jwe = System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(entries[0])).RootElement;
        Assert.Equal(2, jwe.GetProperty("recipients").GetArrayLength());

        SkopeoDecrypts(image, temp, encrypted, rsaKey);
        SkopeoDecrypts(image, temp, encrypted, ecKey);
        Engine.DecryptsToPlain(image, encrypted, temp, ecKey);
    }

    [Fact]
    public void We_decrypt_skopeo_JWE_encryption_RSA_and_EC()
    {
        using var temp = new TempDirectory("skopeo-jwe");
        var image = TestImage.Build(temp, dataSize: 20_000);
        var (rsaKey, rsaPub) = Tools.RsaKey(temp, "rsa");
        var (ecKey, ecPub) = Tools.EcKey(temp, "ec", "P-384");
        var encrypted = Tools.SkopeoEncrypt(image, temp, null, "jwe:" + rsaPub, "jwe:" + ecPub);
        // skopeo encrypts every layer, the base too; ours gives back the same bytes for each.
        LayoutAssert.SameImage(image.ManifestDocument, Engine.Decrypt(encrypted, temp, [rsaKey]), image.Tag);
        LayoutAssert.SameImage(image.ManifestDocument, Engine.Decrypt(encrypted, temp, [ecKey]), image.Tag);
    }

    internal static void SkopeoDecrypts(TestImage image, TempDirectory temp, string encrypted, params string[] keys)
    {
        var decrypted = temp.Combine("skopeo-dec-" + Guid.NewGuid().ToString("N")[..8]);
        var arguments = new List<string> { "copy" };
        foreach (var key in keys) arguments.AddRange(["--decryption-key", key]);
        arguments.AddRange([$"oci:{encrypted}:{image.Tag}", $"oci:{decrypted}:{image.Tag}"]);
        Tools.Skopeo([.. arguments]).EnsureSuccess("skopeo copy --decryption-key");
        LayoutAssert.SameImage(image.ManifestDocument, decrypted, image.Tag);
    }
}
