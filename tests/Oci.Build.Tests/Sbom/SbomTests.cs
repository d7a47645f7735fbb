using System.Text.Json;
using NJsonSchema;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Store;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Sbom;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Sbom;

/// <summary>The SPDX SBOM without a registry: content from a restore's assets file and nuspecs, the official schema, reproducibility, errors.</summary>
public sealed class SbomTests : IDisposable
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(RepoPaths.Root, "schemas", "spdx", "spdx-schema.json")).GetAwaiter().GetResult());

    private readonly EngineHarness _harness = new();

    [Fact]
    public async Task The_sbom_of_an_image_lists_packages_with_licenses_runtime_packs_projects_and_the_base_and_is_valid_spdx_2_3()
    {
        var (layout, image) = AppImage();
        var sbom = ImageSbom.Attach(Request(layout, image), _harness.Log);

        Assert.Empty(Schema.Value.Validate(System.Text.Encoding.UTF8.GetString(sbom)).Select(e => $"{e.Path}: {e.Kind}"));
        using var document = JsonDocument.Parse(sbom);
        var root = document.RootElement;
        Assert.Equal("SPDX-2.3", root.GetProperty("spdxVersion").GetString());
        var packages = root.GetProperty("packages").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal("MIT OR Apache-2.0", packages["Contoso.Logging"].GetProperty("licenseDeclared").GetString());
        Assert.Equal("NOASSERTION", packages["Contoso.Core"].GetProperty("licenseDeclared").GetString()); // a license URL is no expression
        Assert.Equal("2.1.0", packages["Contoso.Logging"].GetProperty("versionInfo").GetString());
        Assert.Equal(Convert.ToHexStringLower(Convert.FromBase64String(SyntheticRestore.LoggingSha512)),
            packages["Contoso.Logging"].GetProperty("checksums")[0].GetProperty("checksumValue").GetString());
        Assert.Equal("pkg:nuget/Contoso.Logging@2.1.0", packages["Contoso.Logging"].GetProperty("externalRefs")[0].GetProperty("referenceLocator").GetString());
        Assert.Equal("FRAMEWORK", packages["Microsoft.NETCore.App.Runtime.linux-x64"].GetProperty("primaryPackagePurpose").GetString());
        Assert.Equal("LIBRARY", packages["Inventory.Model"].GetProperty("primaryPackagePurpose").GetString());
        var baseImage = root.GetProperty("packages").EnumerateArray().Single(p => p.GetProperty("SPDXID").GetString() == "SPDXRef-BaseImage");
        Assert.Equal(TestImages.ManifestDigest(_harness.Combine("base")).ToString(), baseImage.GetProperty("versionInfo").GetString());
        Assert.Contains(root.GetProperty("relationships").EnumerateArray(), r => r.GetProperty("relationshipType").GetString() == "DESCENDANT_OF");
        Assert.Contains(image.Digest.Hex, root.GetProperty("documentNamespace").GetString());

        // Attached in the layout as a referrer under the fallback tag, and found again through any source.
        var opened = OciLayout.Open(layout);
        Assert.Contains(AttachedObjects.ReferrersTag(image.Digest), opened.Tags());
        using var source = new LayoutSource(opened);
        Assert.Equal(sbom, await SbomReferrer.FindAsync(source, image, CancellationToken.None));
        var referrers = OciJson.Deserialize<ImageIndex>(File.ReadAllBytes(opened.BlobPath(opened.FindManifest(AttachedObjects.ReferrersTag(image.Digest)).Digest)), "index");
        var entry = Assert.Single(referrers.Manifests);
        Assert.Equal(SpdxDocument.MediaType, entry.ArtifactType);
        var manifestJson = File.ReadAllText(opened.BlobPath(entry.Digest));
        Assert.Empty(OciSchemas.Validate(OciSchemas.Manifest, manifestJson));
        Assert.Equal(image.Digest, OciJson.Deserialize<ImageManifest>(File.ReadAllBytes(opened.BlobPath(entry.Digest)), "manifest").Subject!.Digest);
    }

    [Fact]
    public void Dotnet_oci_sbom_prints_it_from_a_layout_and_an_archive_and_inspect_shows_it_with_its_image()
    {
        var (layout, image) = AppImage();
        var sbom = System.Text.Encoding.UTF8.GetString(ImageSbom.Attach(Request(layout, image), _harness.Log));
        foreach (var spec in new[] { $"oci:{layout}", $"oci:{layout}:1.0", layout })
        {
            var (exit, output, error) = DotnetOci.Run("sbom", spec);
            Assert.True(exit == 0, error);
            Assert.Equal(sbom, output);
        }
        var archive = _harness.Combine("image.tar");
        Assert.Equal(0, DotnetOci.Run("copy", $"oci:{layout}:1.0", $"oci-archive:{archive}:1.0").Exit);
        Assert.Equal(sbom, DotnetOci.Run("sbom", $"oci-archive:{archive}:1.0").Output);

        var (inspectExit, inspectOutput, inspectError) = DotnetOci.Run("inspect", $"oci:{layout}");
        Assert.True(inspectExit == 0, inspectError);
        using var inspected = JsonDocument.Parse(inspectOutput);
        var described = Assert.Single(inspected.RootElement.GetProperty("images").EnumerateArray()); // the referrer is no image of its own
        var attached = described.GetProperty("attached");
        Assert.Equal(SpdxDocument.MediaType, Assert.Single(attached.GetProperty("sboms").EnumerateArray()).GetProperty("artifactType").GetString());
        Assert.Equal(JsonValueKind.Null, attached.GetProperty("signatures").ValueKind);

        var (plainLayout, _) = AppImage();
        var (noneExit, _, noneError) = DotnetOci.Run("sbom", $"oci:{plainLayout}:1.0");
        Assert.Equal(1, noneExit);
        Assert.Contains(ErrorCodes.SbomNotAttached, noneError);
    }

    [Fact]
    public void A_platform_images_sbom_comes_along_into_the_multi_platform_index_layout()
    {
        var basePath = _harness.Combine("base");
        if (!Directory.Exists(basePath)) TestImages.Base(_harness.Work, basePath, _harness.Combine("build-cache"), 1024);
        var platformLayouts = new Dictionary<string, string>();
        foreach (var rid in new[] { "linux-x64", "linux-arm64" })
        {
            var file = _harness.Combine($"{rid}.txt");
            File.WriteAllText(file, rid);
            using var baseImage = TestImages.FromLayout(basePath);
            platformLayouts[rid] = _harness.Combine("platform-" + rid);
            TestImages.OnBase(baseImage, _harness.Combine("build-cache"), [new LayerSpec("app", [LayerEntry.FromFile("app/rid.txt", file)])],
                TestImages.Settings("app", "1.0") with { Platform = Platform.FromRuntimeIdentifier(rid) }, platformLayouts[rid]);
        }
        var amd64 = OciLayout.Open(platformLayouts["linux-x64"]).FindManifest("1.0") with { Annotations = null };
        var sbom = System.Text.Encoding.UTF8.GetString(ImageSbom.Attach(Request(platformLayouts["linux-x64"], amd64), _harness.Log));

        var index = PlatformIndexBuilder.Build("app", ["1.0"],
            [new("linux-x64", platformLayouts["linux-x64"]), new("linux-arm64", platformLayouts["linux-arm64"])], _harness.Combine("index"));

        var layout = OciLayout.Open(index.LayoutPath);
        Assert.Contains(AttachedObjects.ReferrersTag(amd64.Digest), layout.Tags());
        var (exit, output, error) = DotnetOci.Run("sbom", $"oci:{index.LayoutPath}:1.0"); // the index narrowed to this machine's platform (amd64)
        Assert.True(exit == 0, error);
        Assert.Equal(sbom, output);
        using var inspected = JsonDocument.Parse(DotnetOci.Run("inspect", $"oci:{index.LayoutPath}").Output);
        Assert.Equal(2, inspected.RootElement.GetProperty("images").GetArrayLength());
        Assert.Equal(0, ProcessRunner.Run("skopeo", "inspect", "--raw", $"oci:{index.LayoutPath}:1.0").ExitCode);
    }

    [Fact]
    public void The_same_image_gives_the_same_sbom_bytes_and_attaching_again_replaces_it()
    {
        var (layout, image) = AppImage();
        var first = ImageSbom.Attach(Request(layout, image), _harness.Log);
        var second = ImageSbom.Attach(Request(layout, image), _harness.Log);
        Assert.Equal(first, second);
        var opened = OciLayout.Open(layout);
        Assert.Single(opened.Index.Manifests, m => m.Annotation(AnnotationKeys.RefName) == AttachedObjects.ReferrersTag(image.Digest));
        // The image's time (TestImages: 1700000000), not the clock's.
        using var document = JsonDocument.Parse(first);
        Assert.Equal("2023-11-14T22:13:20Z", document.RootElement.GetProperty("creationInfo").GetProperty("created").GetString());
    }

    [Fact]
    public void A_missing_or_malformed_assets_file_is_a_coded_error_and_leaves_the_layout_unchanged()
    {
        var (layout, image) = AppImage();
        var before = File.ReadAllText(Path.Combine(layout, "index.json"));
        Assert.Equal(ErrorCodes.SbomUnavailable, Assert.Throws<OciException>(() =>
            ImageSbom.Attach(Request(layout, image) with { AssetsFile = _harness.Combine("nothing.json") }, _harness.Log)).Code);
        var broken = _harness.Combine("broken.assets.json");
        File.WriteAllText(broken, "{\"targets\": 5}");
        Assert.Equal(ErrorCodes.SbomUnavailable, Assert.Throws<OciException>(() =>
            ImageSbom.Attach(Request(layout, image) with { AssetsFile = broken }, _harness.Log)).Code);
        var otherTarget = Request(layout, image) with { TargetFramework = "net8.0" };
        Assert.Equal(ErrorCodes.SbomUnavailable, Assert.Throws<OciException>(() => ImageSbom.Attach(otherTarget, _harness.Log)).Code);
        Assert.Equal(before, File.ReadAllText(Path.Combine(layout, "index.json")));
    }

    private (string Layout, Descriptor Image) AppImage()
    {
        var basePath = _harness.Combine("base");
        if (!Directory.Exists(basePath)) TestImages.Base(_harness.Work, basePath, _harness.Combine("build-cache"), 1024);
        var layout = _harness.Combine("app-" + Guid.NewGuid().ToString("N")[..8]);
        TestImages.App(TestImages.FromLayout(basePath), _harness.Work, layout, _harness.Combine("build-cache"), "hello", "1.0");
        return (layout, OciLayout.Open(layout).FindManifest("1.0") with { Annotations = null });
    }

    private ImageSbomRequest Request(string layout, Descriptor image)
    {
        var restore = _harness.Combine("restore");
        Directory.CreateDirectory(restore);
        return new ImageSbomRequest
        {
            LayoutPath = layout,
            ManifestDigest = image.Digest,
            AssetsFile = File.Exists(Path.Combine(restore, "project.assets.json")) ? Path.Combine(restore, "project.assets.json") : SyntheticRestore.Write(restore),
            TargetFramework = "net10.0",
            RuntimeIdentifier = "linux-x64",
            RuntimePacks = [("Microsoft.NETCore.App.Runtime.linux-x64", "10.0.0")],
            AppName = "Inventory.Api",
            AppVersion = "1.0.0",
            ImageName = "samples/inventory",
            ImageTag = "1.0",
        };
    }

    public void Dispose() => _harness.Dispose();
}
