using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.SdkCompat;

/// <summary>samples/EncryptedApi: its publish makes its own keys (setup-keys.sh, openssl and gpg) and encrypts its layers for them.</summary>
[Collection("Publish")]
public sealed class EncryptedApiSampleTests
{
    [Fact]
    public void The_encrypted_sample_makes_its_keys_publishes_encrypted_layers_and_skopeo_decrypts_them_with_its_key()
    {
        using var sample = new SampleProject("EncryptedApi");
        Assert.False(Directory.Exists(sample.Combine("keys")), "keys are never part of the sample's sources");
        var publish = sample.Publish(extraArguments: ["-t:PublishContainer"]).EnsureSuccess("dotnet publish samples/EncryptedApi -t:PublishContainer");
        Assert.Contains("keys made in", publish.Output);
        Assert.True(File.Exists(sample.Combine("keys", "prod.pem")) && File.Exists(sample.Combine("keys", "ops.asc")));

        var layout = OciLayout.Open(sample.LayoutPath);
        var manifest = OciJson.Deserialize<ImageManifest>(File.ReadAllBytes(layout.BlobPath(layout.FindManifest("1.0.0").Digest)), "manifest");
        Assert.False(manifest.Layers[0].MediaType.EndsWith("+encrypted"), "the base stays public");
        Assert.All(manifest.Layers.Skip(1), l => Assert.EndsWith("+encrypted", l.MediaType));
        Assert.All(manifest.Layers.Skip(1), l => Assert.Contains("org.opencontainers.image.enc.keys.pgp", l.Annotations!.Keys));

        using var plain = new TempDirectory("encrypted-api-plain");
        ProcessRunner.Run("skopeo", "copy", "--decryption-key", sample.Combine("keys", "prod.pem"), $"oci:{sample.LayoutPath}:1.0.0", $"oci:{plain.Path}:1.0.0")
            .EnsureSuccess("skopeo copy --decryption-key");
        var plainLayout = OciLayout.Open(plain.Path);
        var plainManifest = OciJson.Deserialize<ImageManifest>(File.ReadAllBytes(plainLayout.BlobPath(plainLayout.FindManifest("1.0.0").Digest)), "manifest");
        Assert.All(plainManifest.Layers, l => Assert.DoesNotContain("encrypted", l.MediaType));
        Assert.Equal(manifest.Layers.Count, plainManifest.Layers.Count);
    }
}
