using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Integration;

[Collection("Docs")]   // a publish stream by time: see Integration/PublishCollection.cs
public sealed class PublishFailureTests
{
    [Fact]
    public void A_corrupted_base_blob_fails_with_a_coded_error_and_leaves_the_previous_layout_intact()
    {
        using var sample = new SampleProject();
        sample.Publish().EnsureSuccess("first publish");
        var previous = OciLayout.Open(sample.LayoutPath).FindManifest("latest").Digest;

        // A copy of the sample's own base layout, with one byte of its layer flipped (same size, wrong digest).
        var baseCopy = Path.Combine(sample.Directory, "..", "corrupt-base");
        CopyDirectory(Path.Combine(sample.Directory, "obj", "oci-base"), baseCopy);
        var baseLayout = OciLayout.Open(baseCopy);
        var manifest = OciJson.Deserialize<ImageManifest>(
            File.ReadAllBytes(baseLayout.BlobPath(baseLayout.FindManifest("runtime-deps").Digest)), "manifest");
        var blob = baseLayout.BlobPath(manifest.Layers[0].Digest);
        using (var stream = new FileStream(blob, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = stream.Length / 2;
            var b = stream.ReadByte();
            stream.Position = stream.Length / 2;
            stream.WriteByte((byte)(b ^ 0xFF));
        }

        var result = sample.Publish(new Dictionary<string, string> { ["ContainerBaseImage"] = $"oci:{Path.GetFullPath(baseCopy)}:runtime-deps" });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error OCI1002", result.Output);
        Assert.Contains(manifest.Layers[0].Digest.ToString(), result.Output);

        var layout = OciLayout.Open(sample.LayoutPath);
        Assert.Equal(previous, layout.FindManifest("latest").Digest);
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(sample.LayoutPath)!, ".oci-layout.*"));
    }

    [Fact]
    public void EnableOciBuild_false_writes_no_image()
    {
        using var sample = new SampleProject();
        var result = sample.Publish(new Dictionary<string, string> { ["EnableOciBuild"] = "false" }).EnsureSuccess("publish");
        Assert.True(Directory.Exists(Path.Combine(sample.OutputDirectory, "publish")));
        Assert.False(Directory.Exists(sample.LayoutPath));
        Assert.False(File.Exists(sample.SummaryPath));
        Assert.DoesNotContain("oci-layout", result.Output);
    }

    [Theory]
    [InlineData("ContainerRepository", "Not/Valid Name", "OCI1006")]
    [InlineData("ContainerImageTags", "-bad", "OCI1006")]
    [InlineData("ContainerBaseImage", "oci:/nonexistent/layout:tag", "OCI1003")]
    [InlineData("ContainerLayerCompression", "brotli", "OCI1006")]
    [InlineData("ContainerImageLayoutPath", "bin/Release/net10.0/linux-x64/publish/inside", "OCI1008")]
    public void Bad_settings_fail_with_a_coded_error(string property, string value, string code)
    {
        using var sample = new SampleProject();
        var result = sample.Publish(new Dictionary<string, string> { [property] = value });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"error {code}", result.Output);
        Assert.False(Directory.Exists(sample.LayoutPath));
    }

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
