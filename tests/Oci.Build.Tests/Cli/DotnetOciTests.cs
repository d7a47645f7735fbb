using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Tests.Encryption;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Cli;

/// <summary>`dotnet oci` commands, run in-process on layouts the engine builds and skopeo encrypts.</summary>
public sealed class DotnetOciTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    public void Dispose() => _temp.Dispose();

    private static (int Exit, string Output, string Error) Oci(params string[] args) => DotnetOci.Run(args);

    [Fact]
    public void Inspect_shows_every_image_with_platform_config_and_layers_from_a_layout_or_an_archive()
    {
        var image = TestImage.Build(_temp);
        var (exit, output, _) = Oci("inspect", $"oci:{image.PlainLayout}:{image.Tag}");
        Assert.Equal(0, exit);
        var described = JsonNode.Parse(output)!["images"]!.AsArray().Single()!;
        Assert.Equal(image.Manifest.Digest.ToString(), described["digest"]!.GetValue<string>());
        Assert.Equal("linux/amd64", described["platform"]!.GetValue<string>());
        Assert.Equal(3, described["layers"]!.AsArray().Count);
        Assert.All(described["layers"]!.AsArray(), l => Assert.False(l!["encrypted"]!.GetValue<bool>()));

        var archive = _temp.Combine("image.tar");
        OciArchive.Write(image.PlainLayout, archive);
        var fromArchive = JsonNode.Parse(Oci("inspect", $"oci-archive:{archive}").Output)!;
        Assert.Equal(image.Manifest.Digest.ToString(), fromArchive["images"]![0]!["digest"]!.GetValue<string>());
    }

    [Fact]
    public void Decrypt_reads_what_skopeo_encrypted_and_inspect_names_the_schemes()
    {
        var image = TestImage.Build(_temp);
        var (key, pub) = Tools.RsaKey(_temp, "site");
        var encrypted = Tools.SkopeoEncrypt(image, _temp, null, "jwe:" + pub);

        var layers = JsonNode.Parse(Oci("inspect", encrypted).Output)!["images"]![0]!["layers"]!.AsArray();
        Assert.Contains(layers, l => l!["encrypted"]!.GetValue<bool>() && l["encryptedFor"]!.AsArray().Any(s => s!.GetValue<string>() == "jwe"));

        var output = _temp.Combine("decrypted");
        var (exit, stdout, stderr) = Oci("decrypt", $"oci:{encrypted}:{image.Tag}", "-o", output, "--key", key);
        Assert.True(exit == 0, stderr);
        Assert.Contains("decrypted", stdout);
        LayoutAssert.SameImage(image.ManifestDocument, output, image.Tag);
    }

    [Fact]
    public void Decrypt_with_the_wrong_key_is_a_coded_error_and_writes_nothing()
    {
        var image = TestImage.Build(_temp);
        var (_, pub) = Tools.RsaKey(_temp, "right");
        var (wrong, _) = Tools.RsaKey(_temp, "wrong");
        var encrypted = Tools.SkopeoEncrypt(image, _temp, null, "jwe:" + pub);
        var output = _temp.Combine("never");
        var (exit, _, error) = Oci("decrypt", encrypted, "-o", output, "--key", wrong);
        Assert.Equal(1, exit);
        Assert.Contains("error OCI3010", error);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void A_command_started_in_a_deleted_folder_is_a_coded_error_not_a_crash()
    {
        // The folder is removed under the shell that entered it, as when another process deletes a build folder.
        var image = TestImage.Build(_temp);
        var cli = Path.Combine(AppContext.BaseDirectory, "Oci.Build.Cli.dll");
        var (key, _) = Tools.RsaKey(_temp, "site");
        var script = $"mkdir gone && cd gone && rmdir ../gone && exec dotnet '{cli}' decrypt 'oci:{image.PlainLayout}:{image.Tag}' -o '{_temp.Combine("from-a-deleted-folder")}' --key '{key}'";
        var result = ProcessRunner.Run("bash", ["-c", script], _temp.Path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error OCI5022", result.StandardError);
        Assert.DoesNotContain("   at ", result.StandardError);
        Assert.False(Directory.Exists(_temp.Combine("from-a-deleted-folder")));
    }

    [Fact]
    public void Verify_passes_a_sound_layout()
    {
        var image = TestImage.Build(_temp);
        var (exit, output, _) = Oci("verify", image.PlainLayout);
        Assert.Equal(0, exit);
        Assert.Contains("verified 5 blobs", output); // manifest, config, the base layer and the two added layers
    }

    [Fact]
    public void Verify_reports_every_damaged_blob_with_its_code()
    {
        var image = TestImage.Build(_temp);
        var layout = OciLayout.Open(image.PlainLayout);
        foreach (var digest in image.AddedLayers)
        {
            var path = layout.BlobPath(digest);
            var bytes = File.ReadAllBytes(path);
            bytes[^1] ^= 0xFF;
            File.WriteAllBytes(path, bytes);
        }
        var (exit, output, error) = Oci("verify", $"oci:{image.PlainLayout}");
        Assert.Equal(1, exit);
        Assert.Contains("2 of 5 blobs failed verification", output);
        Assert.Equal(2, error.Split('\n').Count(l => l.StartsWith("error OCI1002", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(2, "frobnicate")]
    [InlineData(2)]
    [InlineData(2, "decrypt", "x")]
    [InlineData(2, "inspect", "a", "b")]
    [InlineData(1, "inspect", "/nonexistent/layout")]
    public void Bad_invocations_exit_non_zero(int expected, params string[] args)
    {
        Assert.Equal(expected, Oci(args).Exit);
    }
}
