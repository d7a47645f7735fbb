using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Bundles;

/// <summary>The issue's release: one `dotnet publish` of samples/AirGapRelease builds every app's image and one bundle.</summary>
[Collection("Release publishes")]
public sealed partial class ReleaseBundleTests(PublishedRelease release) : IClassFixture<PublishedRelease>
{
    private static string Sha256File(string path) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static string Blob(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);

    private static JsonElement IndexEntry(string layout, string tag) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json"))).RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => m.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString() == tag);

    [Fact]
    public void One_publish_of_the_release_builds_every_app_image_and_a_bundle_naming_each_by_digest()
    {
        using var bundle = release.Bundle();
        var root = bundle.RootElement;
        Assert.Equal("contoso.air-gap-release", root.GetProperty("name").GetString());
        Assert.Equal("1.0.0", root.GetProperty("version").GetString());
        Assert.Equal("1.2.0", root.GetProperty("schemaVersion").GetString());
        var images = root.GetProperty("images");
        Assert.Equal(["hello-oci", "inventory-worker"], images.EnumerateObject().Select(p => p.Name).ToArray());

        foreach (var (app, name, tag) in new[] { ("HelloOci", "hello-oci", "1.0.0"), ("InventoryWorker", "inventory-worker", "1.0.0") })
        {
            var layout = PublishedRelease.AppLayout(release.First, app);
            var entry = images.GetProperty(name);
            var manifestDigest = IndexEntry(layout, tag).GetProperty("digest").GetString()!;
            // Independently of the product: the manifest file's own hash and length.
            Assert.Equal(Sha256File(Blob(layout, manifestDigest)), entry.GetProperty("contentDigest").GetString());
            Assert.Equal(new FileInfo(Blob(layout, manifestDigest)).Length, entry.GetProperty("size").GetInt64());
            Assert.Equal($"samples/{name}:{tag}@{manifestDigest}", entry.GetProperty("image").GetString());
            Assert.Equal(MediaTypes.OciManifest, entry.GetProperty("mediaType").GetString());
            Assert.Equal("oci", entry.GetProperty("imageType").GetString());
        }

        // The worker's NuGet dependency gives its image a packages layer.
        using var worker = JsonDocument.Parse(File.ReadAllBytes(PublishedRelease.AppSummary(release.First, "InventoryWorker")));
        Assert.Contains("packages", worker.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()));

        var invocation = root.GetProperty("invocationImages").EnumerateArray().Single();
        var invocationLayout = PublishedRelease.InvocationLayout(release.First);
        var invocationDigest = IndexEntry(invocationLayout, "1.0.0").GetProperty("digest").GetString()!;
        Assert.Equal($"samples/air-gap-release-invocation:1.0.0@{invocationDigest}", invocation.GetProperty("image").GetString());
        Assert.Equal(Sha256File(Blob(invocationLayout, invocationDigest)), invocation.GetProperty("contentDigest").GetString());

        var bundleDigest = Sha256File(PublishedRelease.BundlePath(release.First));
        Assert.Contains($"GeneratedBundle={PublishedRelease.BundlePath(release.First)} contoso.air-gap-release 1.0.0 {bundleDigest}", release.FirstOutput);
    }

    [Fact]
    public void The_release_bundle_is_valid_against_the_cnab_schema_and_in_rfc8785_canonical_form()
    {
        var bytes = File.ReadAllBytes(PublishedRelease.BundlePath(release.First));
        var json = Encoding.UTF8.GetString(bytes);
        Assert.Empty(CnabSchemas.Validate(CnabSchemas.Bundle, json));
        Assert.Equal(bytes, CanonicalJson.Canonicalize(bytes));
        Assert.DoesNotContain('\n', json);
        // The semantic checks, independently: every image is a digest reference whose digest is its contentDigest.
        using var bundle = release.Bundle();
        var entries = bundle.RootElement.GetProperty("images").EnumerateObject().Select(p => p.Value)
            .Concat(bundle.RootElement.GetProperty("invocationImages").EnumerateArray()).ToList();
        Assert.Equal(3, entries.Count);
        Assert.All(entries, e => Assert.EndsWith("@" + e.GetProperty("contentDigest").GetString(), e.GetProperty("image").GetString()));
        Assert.All(entries, e => Assert.True(e.GetProperty("size").GetInt64() > 0));
    }

    [Fact]
    public void Two_clean_publishes_of_the_release_give_byte_identical_bundles()
    {
        Assert.NotEqual(release.First.Directory, release.Second.Directory);
        Assert.Equal(File.ReadAllBytes(PublishedRelease.BundlePath(release.First)), File.ReadAllBytes(PublishedRelease.BundlePath(release.Second)));
    }

    [Fact]
    public void The_invocation_image_is_the_first_apps_base_plus_an_executable_run_script_and_the_app_images_are_untouched()
    {
        var helloLayout = PublishedRelease.AppLayout(release.First, "HelloOci");
        var hello = JsonDocument.Parse(File.ReadAllBytes(Blob(helloLayout, IndexEntry(helloLayout, "1.0.0").GetProperty("digest").GetString()!))).RootElement;
        var invocationLayout = PublishedRelease.InvocationLayout(release.First);
        var manifest = JsonDocument.Parse(File.ReadAllBytes(Blob(invocationLayout, IndexEntry(invocationLayout, "1.0.0").GetProperty("digest").GetString()!))).RootElement;
        var layers = manifest.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()).ToList();
        Assert.Equal(2, layers.Count);
        Assert.Equal(hello.GetProperty("layers")[0].GetProperty("digest").GetString(), layers[0]); // the base layer, shared
        var config = JsonDocument.Parse(File.ReadAllBytes(Blob(invocationLayout, manifest.GetProperty("config").GetProperty("digest").GetString()!))).RootElement.GetProperty("config");
        Assert.Equal(["/cnab/app/run"], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()!).ToArray());

        using var tar = new TarReader(new GZipStream(File.OpenRead(Blob(invocationLayout, layers[1]!)), CompressionMode.Decompress));
        var files = new Dictionary<string, UnixFileMode>();
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile) files[entry.Name] = entry.Mode;
        }
        Assert.Equal(["cnab/app/run"], files.Keys.ToArray());
        Assert.True(files["cnab/app/run"].HasFlag(UnixFileMode.OtherExecute));

        // App images are never modified: each app layout still holds only its own image (and its SBOM beside it).
        Assert.All(PublishedRelease.Apps, app =>
        {
            var layout = OciLayout.Open(PublishedRelease.AppLayout(release.First, app));
            var image = Assert.Single(LayoutEntries.Images(layout).DistinctBy(m => m.Digest));
            LayoutEntries.AssertImagesAndTheirSboms(layout, [.. LayoutEntries.Images(layout).Select(m => m.Annotation(AnnotationKeys.RefName)!)], image);
        });
    }

    [Fact]
    public void The_default_run_script_reports_the_action_and_prints_the_relocated_references()
    {
        using var work = new TempDirectory("run-script");
        var invocationLayout = PublishedRelease.InvocationLayout(release.First);
        var manifest = JsonDocument.Parse(File.ReadAllBytes(Blob(invocationLayout, IndexEntry(invocationLayout, "1.0.0").GetProperty("digest").GetString()!))).RootElement;
        var layer = manifest.GetProperty("layers")[1].GetProperty("digest").GetString()!;
        using (var tar = new TarReader(new GZipStream(File.OpenRead(Blob(invocationLayout, layer)), CompressionMode.Decompress)))
        {
            while (tar.GetNextEntry() is { } entry)
                if (entry.Name == "cnab/app/run") entry.ExtractToFile(work.Combine("run"), overwrite: false);
        }
        using var bundle = release.Bundle();
        var hello = bundle.RootElement.GetProperty("images").GetProperty("hello-oci").GetProperty("image").GetString()!;
        var helloDigest = hello[(hello.IndexOf('@') + 1)..];
        File.WriteAllText(work.Combine("relocation-mapping.json"), $"{{\"{hello}\":\"internal.example/team/samples/hello-oci@{helloDigest}\"}}");

        var run = ProcessRunner.Run("sh", [work.Combine("run")], work.Path, new Dictionary<string, string?>
        {
            ["CNAB_ACTION"] = "install",
            ["CNAB_BUNDLE_NAME"] = "contoso.air-gap-release",
            ["CNAB_INSTALLATION_NAME"] = "site-a",
            ["CNAB_RELOCATION_MAPPING"] = work.Combine("relocation-mapping.json"),
        }).EnsureSuccess("run script");
        Assert.Contains("action: install", run.StandardOutput);
        Assert.Contains("installation: site-a", run.StandardOutput);
        Assert.Contains($"  {hello} -> internal.example/team/samples/hello-oci@{helloDigest}", run.StandardOutput);

        var noAction = ProcessRunner.Run("sh", [work.Combine("run")], work.Path, new Dictionary<string, string?> { ["CNAB_ACTION"] = null });
        Assert.Equal(2, noAction.ExitCode);
        Assert.Contains("CNAB_ACTION is not set", noAction.StandardError);
    }
}
