using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Cli;

/// <summary>
/// What every `dotnet oci` command shares: results on stdout (text, or JSON with --json), progress and chatter on stderr
/// (none with --quiet), and the documented exit codes (0, 1, 2), on System.CommandLine's parser.
/// </summary>
public sealed class CliConventionsTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli-conventions");

    public void Dispose() => _temp.Dispose();

    private string Image()
    {
        var layout = _temp.Combine("image");
        TestImages.Base(_temp.Path, layout, _temp.Combine("cache"), 64 * 1024);
        return layout;
    }

    [Fact]
    public void Copy_with_json_writes_one_json_result_on_stdout_and_its_progress_as_plain_lines_on_redirected_stderr()
    {
        var layout = Image();
        var (exit, output, error) = DotnetOci.Run("copy", $"oci:{layout}:1", $"oci:{_temp.Combine("copy")}:1", "--json");
        Assert.True(exit == 0, error);
        var result = JsonNode.Parse(output)!;
        Assert.Equal(OciLayout.Open(layout).Index.Manifests.Single().Digest.ToString(), result["digest"]!.GetValue<string>());
        Assert.Equal(2, result["blobs"]!.GetValue<int>()); // the layer and the config
        // Redirected stderr: no carriage-return bar, a closing line with the totals.
        Assert.DoesNotContain('\r', error);
        Assert.Contains(error.Split('\n'), l => l.StartsWith("copying: ", StringComparison.Ordinal) && l.Contains("(100%)") && l.Contains("2/2 blobs"));
    }

    [Fact]
    public void Quiet_leaves_stderr_empty_and_the_text_result_unchanged()
    {
        var layout = Image();
        var (exit, output, error) = DotnetOci.Run("copy", "-q", $"oci:{layout}:1", $"oci:{_temp.Combine("copy")}:1");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.StartsWith("copied ", output);
    }

    /// <summary>The image with the last byte of its layer flipped; returns the layer's descriptor.</summary>
    private static Descriptor Damage(string layout)
    {
        var opened = OciLayout.Open(layout);
        var manifest = OciDocuments.ReadManifest(File.ReadAllBytes(opened.BlobPath(opened.Index.Manifests.Single().Digest)), "manifest");
        var path = opened.BlobPath(manifest.Layers.Single().Digest);
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        return manifest.Layers.Single();
    }

    [Fact]
    public void Copy_with_progress_shown_still_refuses_a_damaged_layer_and_writes_no_image()
    {
        var layout = Image();
        Damage(layout);
        var destination = _temp.Combine("copy");
        var (exit, _, error) = DotnetOci.Run("copy", $"oci:{layout}:1", $"oci:{destination}:1");
        Assert.Equal(1, exit);
        Assert.Contains("error OCI1002", error);
        Assert.Contains("copying: ", error); // the progress display was on while the damage was found
        Assert.False(OciLayout.Exists(destination) && OciLayout.Open(destination).Index.Manifests.Count > 0);
    }

    [Fact]
    public void Verify_with_json_names_each_damaged_blob_and_exits_1()
    {
        var layout = Image();
        var layer = Damage(layout);

        var (exit, output, _) = DotnetOci.Run("verify", layout, "--json");
        Assert.Equal(1, exit);
        var result = JsonNode.Parse(output)!;
        Assert.False(result["valid"]!.GetValue<bool>());
        var problem = result["problems"]!.AsArray().Single()!;
        Assert.Equal("OCI1002", problem["code"]!.GetValue<string>());
        Assert.Equal(layer.Digest.ToString(), problem["digest"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("copy", "a")]                           // a missing argument
    [InlineData("verify", "x", "--frobnicate")]         // an unknown option
    [InlineData("relocate", "bundle.json")]             // a missing required option
    [InlineData("copy", "oci:a", "docker://127.0.0.1:1/r@sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    public void Usage_errors_exit_2_with_the_commands_usage_line_on_stderr(params string[] args)
    {
        var (exit, output, error) = DotnetOci.Run(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains($"usage: dotnet oci {args[0]}", error);
    }

    [Fact]
    public void Help_for_a_command_exits_0_and_names_its_options()
    {
        var (exit, output, _) = DotnetOci.Run("help", "decrypt");
        Assert.Equal(0, exit);
        Assert.Contains("--key", output);
        Assert.Contains("--json", output);
        Assert.Contains("--quiet", output);
    }
}
