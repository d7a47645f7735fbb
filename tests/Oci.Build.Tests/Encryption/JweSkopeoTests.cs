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
        var encrypted = Encrypt(image, temp, ["jwe:" + pub]);

        var (_, manifest) = LayoutAssert.ReadImage(encrypted);
        Assert.Equal(image.BaseLayers[0], manifest.Layers[0].Digest); // base layers stay plain
        Assert.All(manifest.Layers.Skip(1), l => Assert.Equal(MediaTypes.OciLayerGzip + "+encrypted", l.MediaType));
        LayoutAssert.HasNoBlob(encrypted, image.AddedLayers);

        SkopeoDecrypts(image, temp, encrypted, key);
    }

    internal static string Encrypt(TestImage image, TempDirectory temp, string[] recipients, string name = "enc")
    {
        var context = new KeyWrapContext { BaseDirectory = temp.Path };
        var destination = temp.Combine(name);
        new LayoutEncryptor(NullBuildLog.Instance).Encrypt(new LayoutEncryptionRequest
        {
            SourceLayout = image.PlainLayout,
            DestinationLayout = destination,
            Recipients = recipients.Select(r => EncryptionRecipient.Parse(r, context)).ToList(),
            Layers = image.AddedLayerSet,
            CacheDirectory = image.CacheDirectory,
            Context = context,
        });
        return destination;
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
