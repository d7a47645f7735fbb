using System.Text;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Cli;

/// <summary>
/// <c>dotnet oci copy SRC DST [--all]</c> keeps digests: <c>skopeo inspect --raw</c> of source and destination hash the
/// same, for registry -> layout, layout -> registry, registry -> registry and archive -> registry.
/// </summary>
public sealed class CopyCommandTests
{
    [Fact]
    public void Copies_keep_the_digest_of_a_multi_platform_image_between_registries_layouts_and_archives()
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        using var other = new RegistryServer();
        var amd64 = harness.Combine("amd64");
        TestImages.Base(harness.Work, amd64, harness.Combine("build-cache"), 64 * 1024);
        var pushed = MultiPlatformBase.Push(registry, amd64, MultiPlatformBase.Shape.OciIndex);
        var source = $"docker://{pushed.Reference}";
        var expected = RawDigest(source);
        Assert.Equal(pushed.Index.Digest, expected);

        var layout = harness.Combine("layout");
        var archive = harness.Combine("image.tar");
        Copy("--all", source, $"oci:{layout}:10.0");
        Assert.Equal(expected, RawDigest($"oci:{layout}:10.0"));
        Copy($"oci:{layout}:10.0", $"docker://{registry.Host}/from/layout:1", "--all");
        Assert.Equal(expected, RawDigest($"docker://{registry.Host}/from/layout:1"));
        Copy("--all", source, $"docker://{registry.Host}/from/registry:1");
        Assert.Equal(expected, RawDigest($"docker://{registry.Host}/from/registry:1"));
        Copy("--all", source, $"docker://{other.Host}/elsewhere:1");
        Assert.Equal(expected, RawDigest($"docker://{other.Host}/elsewhere:1"));
        Copy("--all", $"oci:{layout}:10.0", $"oci-archive:{archive}:10.0");
        Assert.Equal(expected, RawDigest($"oci-archive:{archive}:10.0"));
        Copy("--all", $"oci-archive:{archive}:10.0", $"docker://{other.Host}/from/archive:1");
        Assert.Equal(expected, RawDigest($"docker://{other.Host}/from/archive:1"));

        // Every platform and every blob arrived: skopeo copies each platform's image out of the copied index.
        foreach (var platform in new[] { "amd64", "arm64", "arm" })
            ProcessRunner.Run("skopeo", "copy", "--src-tls-verify=false", "--override-arch", platform, $"docker://{other.Host}/from/archive:1", $"oci:{harness.Combine("check-" + platform)}:x")
                .EnsureSuccess($"skopeo copy {platform}");
        var (verifyExit, verifyOutput, _) = Oci("verify", $"oci-archive:{archive}:10.0");
        Assert.True(verifyExit == 0, verifyOutput);
    }

    [Fact]
    public void Without_all_an_index_is_narrowed_to_this_machines_platform_and_a_second_copy_sends_nothing()
    {
        using var harness = new EngineHarness();
        using var registry = new RegistryServer();
        var amd64 = harness.Combine("amd64");
        TestImages.Base(harness.Work, amd64, harness.Combine("build-cache"), 64 * 1024);
        var pushed = MultiPlatformBase.Push(registry, amd64, MultiPlatformBase.Shape.DockerManifestList);

        var target = $"docker://{registry.Host}/single:1";
        var first = Copy($"docker://{pushed.Reference}", target);
        Assert.Equal(pushed.Manifests["linux/amd64"].Digest, RawDigest(target));
        Assert.Contains("manifests written: 1", first);
        var again = Copy($"docker://{pushed.Reference}", target);
        Assert.Contains("0 sent", again);
        Assert.Contains("manifests written: 0", again);
    }

    [Theory]
    [InlineData("docker://127.0.0.1:1/x@sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("nonsense:thing")]
    public void A_destination_that_cannot_be_written_is_refused_before_anything_is_read(string destination)
    {
        using var harness = new EngineHarness();
        var layout = harness.Combine("layout");
        TestImages.Base(harness.Work, layout, harness.Combine("build-cache"), 1024);
        var (exit, _, error) = Oci("copy", $"oci:{layout}:1", destination);
        Assert.NotEqual(0, exit);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    private static string Copy(params string[] args)
    {
        var (exit, output, error) = Oci(["copy", .. args]);
        Assert.True(exit == 0, $"dotnet oci copy {string.Join(' ', args)} failed:\n{output}\n{error}");
        return output;
    }

    private static Digest RawDigest(string reference)
    {
        var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", reference).EnsureSuccess($"skopeo inspect --raw {reference}");
        return Digest.Of(Encoding.UTF8.GetBytes(raw.StandardOutput.TrimEnd('\n')));
    }

    private static (int Exit, string Output, string Error) Oci(params string[] args) => DotnetOci.Run(args);
}
