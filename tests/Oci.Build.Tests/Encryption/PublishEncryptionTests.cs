using System.Security.Cryptography;
using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>The image step encrypting while it builds (ContainerEncrypt): layers chosen by name, base included when named.</summary>
public class PublishEncryptionTests
{
    [Fact]
    public void A_publish_encrypts_the_layers_it_names_base_included_skopeo_decrypts_it_to_the_unencrypted_image_and_an_unknown_name_writes_nothing()
    {
        using var temp = new TempDirectory("publish-enc");
        var (key, pub) = Setup(temp);
        var context = new KeyWrapContext { BaseDirectory = temp.Path };
        ImagePublishRequest Request(string layout, params string[] layers) => RequestIn(temp, layout, new ImageEncryption(["jwe:" + pub], layers, context));
        var publisher = new ImagePublisher(NullBuildLog.Instance);

        var encrypted = publisher.Publish(Request("enc", "base", "app"));
        var plain = publisher.Publish(Request("plain") with { Encryption = null });

        Assert.Equal(["base", "runtime", "app"], encrypted.Layers.Select(l => l.Name));
        var (_, manifest) = LayoutAssert.ReadImage(encrypted.LayoutPath, "latest");
        Assert.Equal([true, false, true], manifest.Layers.Select(l => l.MediaType.EndsWith("+encrypted", StringComparison.Ordinal)));
        Assert.Equal(encrypted.Layers.Select(l => l.Descriptor.Digest), manifest.Layers.Select(l => l.Digest)); // the result describes the ciphertext
        var plainLayers = plain.Layers.Select(l => l.Descriptor.Digest).ToList();
        LayoutAssert.HasNoBlob(encrypted.LayoutPath, [plainLayers[0], plainLayers[2]]);
        Assert.Equal(plain.Config.Digest, encrypted.Config.Digest);
        Assert.Null(plain.PlaintextManifestDigest);
        Assert.Equal(plain.Manifest.Digest.ToString(), encrypted.PlaintextManifestDigest);

        var decrypted = temp.Combine("dec");
        Tools.Skopeo("copy", "--decryption-key", key, $"oci:{encrypted.LayoutPath}:latest", $"oci:{decrypted}:latest").EnsureSuccess("skopeo decrypt");
        Assert.Equal(plain.Manifest.Digest, LayoutAssert.ReadImage(decrypted, "latest").Entry.Digest);

        var unknown = Assert.Throws<OciException>(() => publisher.Publish(Request("enc-unknown", "assets")));
        Assert.Equal(ErrorCodes.UnknownEncryptLayer, unknown.Code);
        Assert.Contains("runtime, app", unknown.Message);
        Assert.False(Directory.Exists(temp.Combine("enc-unknown")));

        var none = Assert.Throws<OciException>(() => publisher.Publish(Request("enc-none") with
        {
            Encryption = new ImageEncryption([], [], context),
        }));
        Assert.Equal(ErrorCodes.NoRecipients, none.Code);
        Assert.False(Directory.Exists(temp.Combine("enc-none")));
    }

    [Fact]
    public void The_warm_up_before_encryption_never_runs_a_key_provider_program_each_encrypted_layer_asks_it_once()
    {
        using var temp = new TempDirectory("publish-enc-provider");
        var (key, pub) = Setup(temp);
        var (config, providerLog) = KeyProviderTests.Setup(temp);
        var context = new KeyWrapContext { BaseDirectory = temp.Path, KeyProviderConfigPath = config };

        var result = new ImagePublisher(NullBuildLog.Instance).Publish(RequestIn(temp, "enc", new ImageEncryption(["jwe:" + pub, "provider:demo"], [], context)));

        // runtime and app: one key wrap each, both keys in each layer; the rehearsal wrapped with the JWE key only.
        var wraps = File.ReadLines(providerLog).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("op").GetString()).ToList();
        Assert.Equal(["keywrap", "keywrap"], wraps);
        var (_, manifest) = LayoutAssert.ReadImage(result.LayoutPath, "latest");
        Assert.All(manifest.Layers.Skip(1), l =>
        {
            Assert.NotNull(l.Annotation("org.opencontainers.image.enc.keys.jwe"));
            Assert.NotNull(l.Annotation("org.opencontainers.image.enc.keys.provider.demo"));
        });
        var decrypted = temp.Combine("dec");
        Tools.Skopeo("copy", "--decryption-key", key, $"oci:{result.LayoutPath}:latest", $"oci:{decrypted}:latest").EnsureSuccess("skopeo decrypt");
        Assert.Equal(result.PlaintextManifestDigest, LayoutAssert.ReadImage(decrypted, "latest").Entry.Digest.ToString());
    }

    /// <summary>A small base (oci:base:1) and a publish folder of a runtime file and the app; returns an RSA key pair's files.</summary>
    private static (string Key, string Pub) Setup(TempDirectory temp)
    {
        TestImages.Base(temp.Path, temp.Combine("base"), temp.Combine("base-cache"), size: 20_000);
        var publish = temp.Combine("publish");
        Directory.CreateDirectory(publish);
        File.WriteAllBytes(Path.Combine(publish, "libcoreclr.so"), RandomNumberGenerator.GetBytes(30_000));
        File.WriteAllText(Path.Combine(publish, "app.dll"), "the app");
        return Tools.RsaKey(temp, "rsa");
    }

    private static ImagePublishRequest RequestIn(TempDirectory temp, string layout, ImageEncryption? encryption) => new()
    {
        PublishDirectory = temp.Combine("publish"),
        ClassifiedFiles = new Dictionary<string, PublishedFileKind> { ["libcoreclr.so"] = PublishedFileKind.Runtime },
        BaseImage = "oci:base:1",
        BaseDirectory = temp.Path,
        Settings = TestImages.Settings("team/app", "latest"),
        LayoutPath = temp.Combine(layout),
        CacheDirectory = temp.Combine("cache"),
        Encryption = encryption,
    };
}
