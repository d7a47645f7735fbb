using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Integration;

/// <summary>
/// One copy of HelloOci, published once with <c>EnableOciBuild=false</c> (what it leaves behind is recorded right away).
/// The bad-settings cases republish it with <c>--no-build</c>: each fails at the image step, after a compile that is the
/// same every time, so compiling once spares the suite a full build per case.
/// </summary>
public sealed class SamplePublishedWithoutImage : IDisposable
{
    public SamplePublishedWithoutImage()
    {
        Publish = Sample.Publish(new Dictionary<string, string> { ["EnableOciBuild"] = "false" });
        PublishFolderWritten = Directory.Exists(Path.Combine(Sample.OutputDirectory, "publish"));
        LayoutWritten = Directory.Exists(Sample.LayoutPath);
        SummaryWritten = File.Exists(Sample.SummaryPath);
    }

    public SampleProject Sample { get; } = new();

    public ProcessResult Publish { get; }

    public bool PublishFolderWritten { get; }

    public bool LayoutWritten { get; }

    public bool SummaryWritten { get; }

    public void Dispose() => Sample.Dispose();
}

[Collection("Docs")]   // a publish stream by time: see Integration/PublishCollection.cs
public sealed class PublishFailureTests(SamplePublishedWithoutImage built) : IClassFixture<SamplePublishedWithoutImage>
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

        // A cache that has not stored this base's layer yet (the sample's own cache holds it from the first publish, and a
        // stored layer is linked from there without reading the base again): the damaged file is read, and refused.
        var result = sample.Publish(new Dictionary<string, string>
        {
            ["ContainerBaseImage"] = $"oci:{Path.GetFullPath(baseCopy)}:runtime-deps",
            ["OciBuildCacheDirectory"] = Path.Combine(sample.Directory, "..", "fresh-cache"),
        });
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
        built.Publish.EnsureSuccess("publish");
        Assert.True(built.PublishFolderWritten);
        Assert.False(built.LayoutWritten);
        Assert.False(built.SummaryWritten);
        Assert.DoesNotContain("oci-layout", built.Publish.Output);
    }

    [Theory]
    [InlineData("ContainerRepository", "Not/Valid Name", "OCI1006")]
    [InlineData("ContainerImageTags", "-bad", "OCI1006")]
    [InlineData("ContainerBaseImage", "oci:/nonexistent/layout:tag", "OCI1003")]
    [InlineData("ContainerLayerCompression", "brotli", "OCI1006")]
    [InlineData("ContainerImageLayoutPath", "bin/Release/net10.0/linux-x64/publish/inside", "OCI1008")]
    public void Bad_settings_fail_with_a_coded_error(string property, string value, string code)
    {
        built.Publish.EnsureSuccess("the build every case republishes");
        var result = built.Sample.Publish(new Dictionary<string, string> { [property] = value }, extraArguments: ["--no-build"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"error {code}", result.Output);
        Assert.False(Directory.Exists(built.Sample.LayoutPath));
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
