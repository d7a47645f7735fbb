using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>Republishing with the same recipients reuses ciphertext; a changed recipient set re-encrypts; the cache holds no plaintext.</summary>
public class CiphertextCacheTests
{
    [Fact]
    public void Same_layer_and_recipients_reuse_the_ciphertext_and_a_changed_set_re_encrypts()
    {
        using var temp = new TempDirectory("cache");
        var image = TestImage.Build(temp, dataSize: 50_000);
        var (_, a) = Tools.RsaKey(temp, "a");
        var (_, b) = Tools.EcKey(temp, "b");
        File.Copy(a, temp.Combine("a-copy.pub.pem"));

        var first = LayoutAssert.ReadImage(Engine.Encrypt(image, temp, ["jwe:" + a, "jwe:" + b], "enc1")).Entry.Digest;
        // Same keys, other order and another path to the same key file: the same recipient set.
        var second = LayoutAssert.ReadImage(Engine.Encrypt(image, temp, ["jwe:" + b, "jwe:a-copy.pub.pem"], "enc2")).Entry.Digest;
        Assert.Equal(first, second);

        var (_, c) = Tools.RsaKey(temp, "c");
        var third = LayoutAssert.ReadImage(Engine.Encrypt(image, temp, ["jwe:" + a, "jwe:" + c], "enc3"));
        Assert.NotEqual(first, third.Entry.Digest);
        var firstLayers = LayoutAssert.ReadImage(temp.Combine("enc1")).Manifest.Layers;
        Assert.NotEqual(firstLayers[^1].Digest, third.Manifest.Layers[^1].Digest);
        Assert.Equal(firstLayers[0].Digest, third.Manifest.Layers[0].Digest); // the plain base layer is untouched

        // The content store's ciphertext index records ciphertexts only, each stored whole under its own digest.
        var store = new global::Oci.Build.Store.ContentStore(image.CacheDirectory);
        var recorded = Directory.EnumerateFiles(Path.Combine(image.CacheDirectory, "ciphertexts"))
            .Select(f => OciJson.Deserialize<Descriptor>(File.ReadAllBytes(f), "ciphertext entry")).ToList();
        Assert.Equal(2 * image.AddedLayers.Count, recorded.Select(d => d.Digest).Distinct().Count()); // two recipient sets, each added layer
        Assert.All(recorded, d =>
        {
            Assert.DoesNotContain(d.Digest, image.AddedLayers);
            Assert.EndsWith("+encrypted", d.MediaType, StringComparison.Ordinal);
            Assert.Equal(d.Digest, Digest.OfFile(store.BlobPath(d.Digest)));
        });
    }

    [Fact]
    public void Only_the_selected_layers_are_encrypted_and_a_base_layer_when_named()
    {
        using var temp = new TempDirectory("select");
        var image = TestImage.Build(temp, dataSize: 10_000);
        var (key, pub) = Tools.RsaKey(temp, "rsa");
        var encrypted = Engine.Encrypt(image, temp, ["jwe:" + pub], layers: new HashSet<Digest> { image.BaseLayers[0], image.AddedLayers[1] });
        var (_, manifest) = LayoutAssert.ReadImage(encrypted);
        Assert.Equal([true, false, true], manifest.Layers.Select(l => l.MediaType.EndsWith("+encrypted", StringComparison.Ordinal)));
        Assert.Equal(image.AddedLayers[0], manifest.Layers[1].Digest);
        LayoutAssert.HasNoBlob(encrypted, [image.BaseLayers[0], image.AddedLayers[1]]);
        Engine.DecryptsToPlain(image, encrypted, temp, key);

        var error = Assert.Throws<OciException>(() => Engine.Encrypt(image, temp, ["jwe:" + pub], "enc-missing",
            layers: new HashSet<Digest> { Digest.Of("no such layer"u8) }));
        Assert.Equal(ErrorCodes.UnknownEncryptLayer, error.Code);
        Assert.False(Directory.Exists(temp.Combine("enc-missing")));
    }
}
