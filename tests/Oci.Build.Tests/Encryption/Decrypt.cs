using Oci.Build.Encryption;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>Helpers to run our engine in tests.</summary>
public static class Engine
{
    public static string Encrypt(TestImage image, TempDirectory temp, string[] recipients, string name = "enc",
        IReadOnlySet<Digest>? layers = null, string? providerConfig = null, IBuildLog? log = null)
    {
        var context = new KeyWrapContext { BaseDirectory = temp.Path, KeyProviderConfigPath = providerConfig };
        var destination = temp.Combine(name);
        new LayoutEncryptor(log ?? NullBuildLog.Instance).Encrypt(new LayoutEncryptionRequest
        {
            SourceLayout = image.PlainLayout,
            DestinationLayout = destination,
            Recipients = recipients.Select(r => EncryptionRecipient.Parse(r, context)).ToList(),
            Layers = layers ?? image.AddedLayerSet,
            CacheDirectory = image.CacheDirectory,
            Context = context,
        });
        return destination;
    }

    public static string Decrypt(string encrypted, TempDirectory temp, string[] keys, string? providerConfig = null, string? name = null)
    {
        var context = new KeyWrapContext { BaseDirectory = temp.Path, KeyProviderConfigPath = providerConfig };
        var destination = temp.Combine(name ?? "dec-" + Guid.NewGuid().ToString("N")[..8]);
        new LayoutDecryptor(NullBuildLog.Instance).Decrypt(new LayoutDecryptionRequest
        {
            SourceLayout = encrypted,
            DestinationLayout = destination,
            Keys = DecryptionKeySet.Load(keys, context),
        });
        return destination;
    }

    /// <summary>Our decryption gives back the plain image exactly: same manifest digest, hence same config and layers.</summary>
    public static void DecryptsToPlain(TestImage image, string encrypted, TempDirectory temp, params string[] keys)
    {
        var decrypted = Decrypt(encrypted, temp, keys);
        LayoutAssert.SameImage(image.ManifestDocument, decrypted, image.Tag);
        Assert.Equal(image.Manifest.Digest, LayoutAssert.ReadImage(decrypted, image.Tag).Entry.Digest);
    }
}
