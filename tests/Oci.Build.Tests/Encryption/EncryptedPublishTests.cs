using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Encryption;

/// <summary>The one end-to-end test: <c>dotnet publish -p:ContainerEncrypt=true</c> of the sample.</summary>
[Collection("Publish")]
public class EncryptedPublishTests
{
    [Fact]
    public void Encrypted_publish_holds_no_plaintext_skopeo_decrypts_it_and_a_republish_reuses_the_ciphertext()
    {
        using var sample = new SampleProject();
        using var keys = new TempDirectory("publish-keys");
        var (key, pub) = Tools.RsaKey(keys, "prod");
        var properties = new Dictionary<string, string>
        {
            ["ContainerEncrypt"] = "true",
            ["ContainerEncryptionRecipients"] = "jwe:" + pub,
            ["ContainerArchiveOutputPath"] = keys.Combine("image.tar"),
        };
        var first = sample.Publish(properties).EnsureSuccess("encrypted publish");

        // Encrypted while it is built: no plaintext layout is written anywhere, ContainerImageLayoutPath holds ciphertext.
        Assert.Empty(Directory.GetDirectories(sample.Directory, "oci-plain-layout", SearchOption.AllDirectories));
        var (encryptedEntry, encrypted) = LayoutAssert.ReadImage(sample.LayoutPath, "latest");
        Assert.Contains(encryptedEntry.Digest.ToString(), File.ReadAllText(sample.SummaryPath));
        var plaintextDigest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sample.SummaryPath))!["plaintextManifestDigest"]!.GetValue<string>();

        using var temp = new TempDirectory("publish-dec");
        var decrypted = temp.Combine("dec");
        Tools.Skopeo("copy", "--decryption-key", key, $"oci:{sample.LayoutPath}:latest", $"oci:{decrypted}:latest").EnsureSuccess("skopeo decrypt");
        var (decryptedEntry, plain) = LayoutAssert.ReadImage(decrypted, "latest");
        Assert.Equal(plaintextDigest, decryptedEntry.Digest.ToString()); // the summary says what decryption gives back
        var baseCount = plain.Layers.Count - 2; // HelloOci adds "runtime" and "app" on the base
        Assert.All(encrypted.Layers.Take(baseCount), l => Assert.DoesNotContain("+encrypted", l.MediaType));
        Assert.All(encrypted.Layers.Skip(baseCount), l => Assert.EndsWith("+encrypted", l.MediaType));
        Assert.Equal(plain.Config.Digest, encrypted.Config.Digest); // diff_ids stay visible, as everywhere in the ecosystem
        LayoutAssert.HasNoBlob(sample.LayoutPath, plain.Layers.Skip(baseCount).Select(l => l.Digest));

        // The archive is made from the encrypted layout: the plaintext of an encrypted layer is not in it either.
        var fromArchive = keys.Combine("from-archive");
        OciArchive.Extract(keys.Combine("image.tar"), fromArchive);
        LayoutAssert.HasNoBlob(fromArchive, plain.Layers.Skip(baseCount).Select(l => l.Digest));
        Assert.Equal(encryptedEntry.Digest, LayoutAssert.ReadImage(fromArchive, "samples/hello-oci:1.0.0").Entry.Digest);

        // The decryption target gives back the same plaintext image, and so does a publish without encryption: encrypting
        // changes the layer blobs and nothing else.
        var ours = temp.Combine("ours");
        ProcessRunner.Run("dotnet", ["msbuild", sample.ProjectFile, "-nodeReuse:false", "-t:OciDecryptLayout", "-p:Configuration=Release",
            $"-p:ContainerDecryptSource={sample.LayoutPath}", $"-p:ContainerDecryptOutput={ours}", $"-p:ContainerDecryptionKeys={key}"],
            sample.Directory).EnsureSuccess("OciDecryptLayout");
        Assert.Equal(plaintextDigest, LayoutAssert.ReadImage(ours, "latest").Entry.Digest.ToString());
        var unencrypted = temp.Combine("unencrypted");
        sample.Publish(new Dictionary<string, string> { ["ContainerImageLayoutPath"] = unencrypted }).EnsureSuccess("unencrypted publish");
        Assert.Equal(plaintextDigest, LayoutAssert.ReadImage(unencrypted, "latest").Entry.Digest.ToString());

        var second = sample.Publish(properties).EnsureSuccess("republish");
        var (againEntry, _) = LayoutAssert.ReadImage(sample.LayoutPath, "latest");
        Assert.Equal(encryptedEntry.Digest, againEntry.Digest);
        Assert.Contains("ciphertext reused", second.Output);
        Assert.DoesNotContain("ciphertext reused", first.Output);
    }
}
