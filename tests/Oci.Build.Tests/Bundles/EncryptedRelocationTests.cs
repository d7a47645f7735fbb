using System.Text.Json;
using Oci.Build.Tests.Encryption;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Bundles;

/// <summary>
/// An encrypted app in a bundle pushed to a registry, relocated on its own afterwards with -t:OciRelocate (no keys
/// involved): the relocated image keeps its digest and skopeo still decrypts it with the recipient's key.
/// </summary>
[Collection("Release publishes")]
public sealed class EncryptedRelocationTests
{
    [Fact]
    public void OciRelocate_copies_an_encrypted_image_as_it_is_and_skopeo_decrypts_the_relocated_copy()
    {
        using var registry = new RegistryServer();
        using var sample = new SampleProject();
        using var keys = new TempDirectory("relocate-keys");
        var (key, pub) = Tools.RsaKey(keys, "site");
        sample.Publish(new Dictionary<string, string>
        {
            ["ContainerEncrypt"] = "true",
            ["ContainerEncryptionRecipients"] = "jwe:" + pub,
            ["ContainerBundle"] = "true",
            ["ContainerRegistry"] = registry.Host,
        }).EnsureSuccess("encrypted publish with a bundle, pushed");
        var bundlePath = Path.Combine(sample.OutputDirectory, "bundle.json");
        var mappingPath = keys.Combine("relocation-mapping.json");

        var relocate = ProcessRunner.Run("dotnet", ["msbuild", sample.ProjectFile, "-nodeReuse:false", "-t:OciRelocate", "-p:Configuration=Release",
            $"-p:ContainerBundlePath={bundlePath}", $"-p:ContainerRelocationRegistry={registry.Host}/relocated", $"-p:ContainerRelocationMappingPath={mappingPath}"],
            sample.Directory, new Dictionary<string, string?> { ["OCI_BUILD_CACHE"] = sample.CacheDirectory, ["MSBUILDDISABLENODEREUSE"] = "1" },
            timeout: TimeSpan.FromMinutes(5)).EnsureSuccess("-t:OciRelocate");
        Assert.Contains("Relocation of HelloOci 1.0.0", relocate.Output);

        using var bundle = JsonDocument.Parse(File.ReadAllBytes(bundlePath));
        var hello = bundle.RootElement.GetProperty("images").GetProperty("hello-oci");
        var original = hello.GetProperty("image").GetString()!;
        var digest = hello.GetProperty("contentDigest").GetString()!;
        var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(mappingPath))!;
        Assert.Equal($"{registry.Host}/relocated/samples/hello-oci@{digest}", mapping[original]);

        var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{mapping[original]}").EnsureSuccess("skopeo inspect").StandardOutput;
        Assert.Contains("+encrypted", raw);
        var decrypted = keys.Combine("decrypted");
        ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", "--decryption-key", key, $"docker://{mapping[original]}", $"oci:{decrypted}:plain")
            .EnsureSuccess("skopeo decrypts the relocated image");
        var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(decrypted, "index.json"))).RootElement.GetProperty("manifests")[0];
        var layers = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(decrypted, "blobs", "sha256", manifest.GetProperty("digest").GetString()!["sha256:".Length..])))
            .RootElement.GetProperty("layers").EnumerateArray().ToList();
        Assert.All(layers, l => Assert.DoesNotContain("+encrypted", l.GetProperty("mediaType").GetString()));
    }
}
