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

        // BuildOciImage's plaintext layout stays in obj/ (scratch space); ContainerImageLayoutPath gets the encrypted one.
        var plainLayout = sample.Combine("obj", "Release", "net10.0", "linux-x64", "oci-plain-layout");
        var (_, plain) = LayoutAssert.ReadImage(plainLayout, "latest");
        var (encryptedEntry, encrypted) = LayoutAssert.ReadImage(sample.LayoutPath, "latest");
        var baseCount = plain.Layers.Count - 2; // HelloOci adds "runtime" and "app" on the base
        Assert.All(encrypted.Layers.Take(baseCount), l => Assert.DoesNotContain("+encrypted", l.MediaType));
        Assert.All(encrypted.Layers.Skip(baseCount), l => Assert.EndsWith("+encrypted", l.MediaType));
        Assert.Equal(plain.Config.Digest, encrypted.Config.Digest); // diff_ids stay visible, as everywhere in the ecosystem
        LayoutAssert.HasNoBlob(sample.LayoutPath, plain.Layers.Skip(baseCount).Select(l => l.Digest));
        Assert.Contains(encryptedEntry.Digest.ToString(), File.ReadAllText(sample.SummaryPath));

        // The archive is made from the encrypted layout: the plaintext of an encrypted layer is not in it either.
        var fromArchive = keys.Combine("from-archive");
        OciArchive.Extract(keys.Combine("image.tar"), fromArchive);
        LayoutAssert.HasNoBlob(fromArchive, plain.Layers.Skip(baseCount).Select(l => l.Digest));
        Assert.Equal(encryptedEntry.Digest, LayoutAssert.ReadImage(fromArchive, "samples/hello-oci:1.0.0").Entry.Digest);

        using var temp = new TempDirectory("publish-dec");
        var decrypted = temp.Combine("dec");
        Tools.Skopeo("copy", "--decryption-key", key, $"oci:{sample.LayoutPath}:latest", $"oci:{decrypted}:latest").EnsureSuccess("skopeo decrypt");
        LayoutAssert.SameImage(plain, decrypted, "latest");

        // The decryption target gives back the unencrypted build byte for byte (same manifest digest).
        var (plainEntry, _) = LayoutAssert.ReadImage(plainLayout, "latest");
        var ours = temp.Combine("ours");
        ProcessRunner.Run("dotnet", ["msbuild", sample.ProjectFile, "-nodeReuse:false", "-t:OciDecryptLayout", "-p:Configuration=Release",
            $"-p:ContainerDecryptSource={sample.LayoutPath}", $"-p:ContainerDecryptOutput={ours}", $"-p:ContainerDecryptionKeys={key}"],
            sample.Directory).EnsureSuccess("OciDecryptLayout");
        Assert.Equal(plainEntry.Digest, LayoutAssert.ReadImage(ours, "latest").Entry.Digest);

        var second = sample.Publish(properties).EnsureSuccess("republish");
        var (againEntry, _) = LayoutAssert.ReadImage(sample.LayoutPath, "latest");
        Assert.Equal(encryptedEntry.Digest, againEntry.Digest);
        Assert.Contains("(reused)", second.Output);
        Assert.DoesNotContain("(reused)", first.Output);
    }
}
