using System.Text.Json;
using Oci.Build.Archives;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Bundles;

/// <summary>
/// `dotnet oci export` (issue 9) on the release <see cref="RelocatedRelease"/> pushed in cnab-to-oci's form (part of
/// <see cref="RelocationTests"/>, so the release is published once): the archive exported from the registry is the one
/// the build wrote, byte for byte; images alone export without a bundle, and import refuses those.
/// </summary>
public sealed partial class RelocationTests
{
    [Fact]
    public void Export_of_the_pushed_bundle_gives_the_build_archive_byte_for_byte_and_images_alone_export_without_a_bundle()
    {
        using var work = new TempDirectory("export");
        var built = PublishedRelease.ThickArchivePath(release.Release);
        var exported = work.Combine("release.cnab.tar");
        var (exit, output, error) = DotnetOci.Run("export", release.BundleReference, "-o", exported, "--json");
        Assert.True(exit == 0, error);
        Assert.Equal(Digest.OfFile(exported).ToString(), JsonDocument.Parse(output).RootElement.GetProperty("digest").GetString());
        Assert.Equal(Digest.OfFile(built), Digest.OfFile(exported));

        var images = work.Combine("images.cnab.tar");
        (exit, _, error) = DotnetOci.Run("export", "--image", $"{release.Source.Host}/samples/hello-oci:1.0.0", "-o", images);
        Assert.True(exit == 0, error);
        var report = ThickArchiveVerifier.Verify(images);
        Assert.True(report.IsValid, string.Join("\n", report.Problems));
        Assert.Null(report.Bundle);
        (exit, _, error) = DotnetOci.Run("import", images, "--registry", $"{release.Target.Host}/nowhere", "--relocation-mapping", work.Combine("map.json"));
        Assert.Equal(1, exit);
        Assert.Contains($"error {ErrorCodes.ImportRefused}", error);
        Assert.False(File.Exists(work.Combine("map.json")));
    }
}
