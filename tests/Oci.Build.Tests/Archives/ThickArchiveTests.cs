using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Encryption;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Archives;

/// <summary>
/// A small bundle built in-process (no publish): the test image and its base, which share a layer, as components, the
/// app as invocation image; written as a thick archive twice.
/// </summary>
public sealed class SmallThickArchive : IDisposable
{
    private readonly TempDirectory _temp = new("thick");

    public SmallThickArchive()
    {
        Image = TestImage.Build(_temp, dataSize: 20_000);
        var baseLayout = _temp.Combine("base");
        var app = new BundleImageInput("app", "registry.example/test/app:v1", BundleImageSources.FromLayout(Image.PlainLayout, "v1"));
        var @base = new BundleImageInput("base", "registry.example/test/base:base", BundleImageSources.FromLayout(baseLayout, "base"));
        Bundle = BundleComposer.Compose(new BundleRequest { Name = "small", Version = "1.0.0", InvocationImage = app, Images = [app, @base] });
        Sources = new BundleImageSourceMap
        {
            Layouts = new Dictionary<string, string>
            {
                [Bundle.Images!["app"].Image] = Image.PlainLayout,
                [Bundle.Images!["base"].Image] = baseLayout,
            },
        };
        ArchivePath = Write("small-1.0.0.cnab.tar");
    }

    public TestImage Image { get; }
    public CnabBundle Bundle { get; }
    public BundleImageSourceMap Sources { get; }
    public string ArchivePath { get; }

    public string Combine(params string[] parts) => _temp.Combine(parts);

    /// <param name="tools">Tool packages (.nupkg) carried under tools/.</param>
    public string Write(string name, bool compress = false, IReadOnlyList<string>? tools = null) =>
        ThickArchiveWriter.Write(new ThickArchiveRequest
        {
            ArchivePath = _temp.Combine("out", name),
            Bundle = Bundle,
            Images = ThickArchiveWriter.ImagesOf(Bundle, Sources),
            UnixTime = 1_700_000_000,
            Compress = compress,
            Tools = ThickArchiveWriter.ToolPackages(tools ?? []),
        }, location => new LayoutSource(OciLayout.Open(location.Path)), new NullLog()).ArchivePath;

    public void Dispose() => _temp.Dispose();

    private sealed class NullLog : IBuildLog
    {
        public void Info(string message) { }
        public void Detail(string message) { }
        public void Warning(string code, string message) { }
    }
}

public sealed class ThickArchiveTests(SmallThickArchive small) : IClassFixture<SmallThickArchive>
{
    private static List<TarEntry> Entries(string archive)
    {
        using var stream = File.OpenRead(archive);
        using var reader = new TarReader(stream);
        var entries = new List<TarEntry>();
        while (reader.GetNextEntry(copyData: true) is { } entry) entries.Add(entry);
        return entries;
    }

    [Fact]
    public void A_thick_archive_is_porters_layout_in_a_deterministic_tar_with_every_image_and_each_blob_once()
    {
        var entries = Entries(small.ArchivePath);
        var names = entries.Select(e => e.Name).ToList();
        Assert.Equal("./", names[0]);
        Assert.All(entries, e =>
        {
            Assert.StartsWith("./", e.Name);
            Assert.Equal(0, e.Uid);
            Assert.Equal(0, e.Gid);
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), e.ModificationTime);
            Assert.Equal(e.EntryType == TarEntryType.Directory ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100, e.Mode);
        });
        Assert.Equal(names.OrderBy(n => n.TrimEnd('/').Replace('/', '\0'), StringComparer.Ordinal), names);
        foreach (var required in new[] { "./bundle.json", "./relocation-mapping.json", "./checksums.sha256", "./artifacts/layout/oci-layout", "./artifacts/layout/index.json" })
            Assert.Contains(required, names);

        // Each index entry is named by the bundle's original reference and is the bundle's contentDigest.
        var index = JsonDocument.Parse(ReadEntry(entries, "./artifacts/layout/index.json")).RootElement.GetProperty("manifests").EnumerateArray()
            .ToDictionary(m => m.GetProperty("annotations").GetProperty(AnnotationKeys.RefName).GetString()!, m => m.GetProperty("digest").GetString());
        foreach (var (_, image) in small.Bundle.AllImages())
            Assert.Equal(image.ContentDigest, index[image.Image]);
        // The base layer both images share is stored once; every layer of both images is there.
        var blobs = names.Where(n => n.StartsWith("./artifacts/layout/blobs/sha256/", StringComparison.Ordinal) && !n.EndsWith('/')).ToList();
        Assert.Equal(blobs.Distinct().Count(), blobs.Count);
        foreach (var layer in small.Image.BaseLayers.Concat(small.Image.AddedLayers))
            Assert.Single(blobs, b => b.EndsWith(layer.Hex, StringComparison.Ordinal));
        // The map names every image of the bundle, pinned by digest; the checksum file lists every other file.
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(ReadEntry(entries, "./relocation-mapping.json"))!;
        Assert.Equal(small.Bundle.AllImages().Select(i => i.Image.Image).ToHashSet(), map.Keys.ToHashSet());
        Assert.All(map, pair => Assert.EndsWith("@" + pair.Key.Split('@')[1], pair.Value));
        var listed = Encoding.UTF8.GetString(ReadEntry(entries, "./checksums.sha256")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[66..]).ToList();
        Assert.Equal(entries.Where(e => e.EntryType != TarEntryType.Directory && e.Name != "./checksums.sha256").Select(e => e.Name).Order(StringComparer.Ordinal), listed);
    }

    [Fact]
    public void The_same_inputs_give_a_byte_identical_archive_and_a_gzip_when_asked()
    {
        var again = small.Write("again.cnab.tar");
        Assert.Equal(File.ReadAllBytes(small.ArchivePath), File.ReadAllBytes(again));
        var tgz = small.Write("small.tgz", compress: true);
        Assert.Equal(File.ReadAllBytes(tgz), File.ReadAllBytes(small.Write("small-again.tgz", compress: true)));
        Assert.Equal(new byte[] { 0x1f, 0x8b }, File.ReadAllBytes(tgz)[..2]);
        // A gzipped archive reads and verifies like the plain one.
        Assert.True(ThickArchiveVerifier.Verify(tgz).IsValid);
    }

    [Fact]
    public void Verify_accepts_the_archive_and_inspect_reads_it_in_place()
    {
        var report = ThickArchiveVerifier.Verify(small.ArchivePath);
        Assert.True(report.IsValid, string.Join("\n", report.Problems));
        Assert.Equal(2, report.Images);
        Assert.Equal("small", report.Bundle!.Name);

        var (exit, output, error) = DotnetOci.Run("verify", small.ArchivePath);
        Assert.True(exit == 0, error);
        Assert.Contains("checksums and bundle consistent", output);
        (exit, output, error) = DotnetOci.Run("verify", small.ArchivePath, "--json");
        Assert.True(exit == 0, error);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.True(json.GetProperty("valid").GetBoolean());
        Assert.True(json.GetProperty("thick").GetBoolean());
        Assert.Equal("small 1.0.0", json.GetProperty("bundle").GetString());
        (exit, output, error) = DotnetOci.Run("inspect", "oci-archive:" + small.ArchivePath);
        Assert.True(exit == 0, error);
        Assert.Contains(small.Image.Manifest.Digest.ToString(), output);
    }

    [Fact]
    public void Copy_takes_one_image_out_of_a_thick_archive_by_the_last_segment_of_its_repository()
    {
        var layout = small.Combine("copied");
        var (exit, output, error) = DotnetOci.Run("copy", $"oci-archive:{small.ArchivePath}:app", $"oci:{layout}:v1");
        Assert.True(exit == 0, error);
        Assert.Equal(small.Image.Manifest.Digest, OciLayout.Open(layout).FindManifest("v1").Digest);
        Assert.Contains(small.Image.Manifest.Digest.ToString(), output);
    }

    [Fact]
    public void Relocate_reads_the_bundle_and_its_images_from_a_thick_archive_given_by_its_first_part()
    {
        using var registry = new global::Oci.Build.Tests.Registry.Support.RegistryServer();
        var parts = small.Combine("relocate-parts");
        ArchiveParts.Split(small.ArchivePath, new FileInfo(small.ArchivePath).Length / 2 + 1, parts);
        var mapping = small.Combine("relocated.json");
        var (exit, output, error) = DotnetOci.Run("relocate", Path.Combine(parts, "small-1.0.0.cnab.tar.part001"), "--registry", $"{registry.Host}/site", "-o", mapping);
        Assert.True(exit == 0, error);
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(mapping))!;
        Assert.Equal($"{registry.Host}/site/test/app@{small.Image.Manifest.Digest}", map[small.Bundle.Images!["app"].Image]);
        Assert.Contains(small.Bundle.Images!["base"].Image, output);
    }

    [Fact]
    public void Import_of_a_split_archive_sends_each_blob_once_from_the_parts_in_place_mounts_what_the_images_share_and_reports_all_of_it()
    {
        using var registry = new global::Oci.Build.Tests.Registry.Support.RegistryServer();
        using var proxy = new global::Oci.Build.Tests.Registry.Support.FaultProxy(registry.Host);
        var requests = new System.Collections.Concurrent.ConcurrentQueue<(string Method, string Target)>();
        proxy.Rule = request =>
        {
            requests.Enqueue((request.Method, request.Target));
            return null;
        };
        // Parts of a third of the archive: the app's layers cross from one part file into the next.
        var parts = small.Combine("import-parts");
        ArchiveParts.Split(small.ArchivePath, new FileInfo(small.ArchivePath).Length / 3 + 1, parts);
        var reports = new System.Collections.Concurrent.ConcurrentQueue<CopyProgress>();
        new ThickArchiveImporter(new global::Oci.Build.Registry.RegistrySettings { CacheDirectory = small.Combine("import-cache") },
            new global::Oci.Build.Tests.Registry.Support.CapturingLog()).Import(new ImportRequest
        {
            ArchivePath = Path.Combine(parts, "small-1.0.0.cnab.tar.part001"),
            Target = RelocationTarget.Parse($"{proxy.Host}/site"),
            MappingPath = small.Combine("imported.json"),
            Progress = new Progress(reports.Enqueue),
        });

        // The base's layers are the app's too: the two images are copied at the same time, and each shared layer is sent
        // once, to one repository, and mounted into the other.
        var baseLayout = OciLayout.Open(small.Sources.Layouts[small.Bundle.Images!["base"].Image]);
        var baseLayers = OciJson.Deserialize<ImageManifest>(baseLayout.ReadDocument(baseLayout.FindManifest("base"), "manifest"), "manifest").Layers;
        Assert.NotEmpty(baseLayers);
        var uploads = requests.Where(r => r.Method == "PUT" && r.Target.Contains("/blobs/uploads/", StringComparison.Ordinal)).Select(r => QueryDigest(r.Target, "digest")).ToList();
        var mounts = requests.Where(r => r.Method == "POST" && r.Target.Contains("mount=", StringComparison.Ordinal)).Select(r => QueryDigest(r.Target, "mount")).ToList();
        Assert.Equal(uploads.Distinct().Count(), uploads.Count);
        foreach (var layer in baseLayers)
        {
            Assert.Single(uploads, layer.Digest.ToString());
            Assert.Single(mounts, layer.Digest.ToString());
        }

        // One progress for the images copied at the same time: it ends at every blob of every image (a shared one counts in
        // each image it belongs to).
        var images = small.Bundle.AllImages().Select(i => i.Image).DistinctBy(i => i.Image).Select(i => (ImageReference.Parse(i.Image).Repository, i.ContentDigest!)).ToList();
        var perImage = images.Select(i => OciJson.Deserialize<ImageManifest>(ReadBlob(registry.Host, i.Repository, i.Item2, "manifests"), "manifest"))
            .Select(m => (Bytes: m.Config.Size + m.Layers.Sum(l => l.Size), Blobs: 1 + m.Layers.Count)).ToList();
        var (bytes, blobs) = (perImage.Sum(i => i.Bytes), perImage.Sum(i => i.Blobs));
        Assert.Equal(new CopyProgress(bytes, bytes, blobs, blobs), reports.Last());

        // What the registry holds is what the archive holds: skopeo reads each image at its bundle digest, and every blob of
        // the app (sent from the parts in place, not from a copy) at its digest.
        foreach (var image in small.Bundle.AllImages().Select(i => i.Image).DistinctBy(i => i.Image))
        {
            var repository = ImageReference.Parse(image.Image).Repository;
            var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/site/{repository}@{image.ContentDigest}")
                .EnsureSuccess("skopeo inspect --raw").StandardOutput;
            Assert.Equal(image.ContentDigest, Digest.Of(Encoding.UTF8.GetBytes(raw.TrimEnd('\n'))).ToString());
        }
        var layout = small.Combine("imported-app");
        ProcessRunner.Run("skopeo", "copy", "-q", "--src-tls-verify=false", $"docker://{registry.Host}/site/test/app@{small.Image.Manifest.Digest}", $"oci:{layout}:app")
            .EnsureSuccess("skopeo copy");
        Assert.Equal(small.Image.Manifest.Digest, OciLayout.Open(layout).FindManifest("app").Digest);
    }

    private static byte[] ReadBlob(string host, string repository, string digest, string kind)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{host}/v2/site/{repository}/{kind}/{digest}");
        request.Headers.Accept.ParseAdd(MediaTypes.OciManifest);
        using var response = http.Send(request).EnsureSuccessStatusCode();
        return response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
    }

    private sealed class Progress(Action<CopyProgress> report) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => report(value);
    }

    private static string QueryDigest(string target, string parameter) =>
        Uri.UnescapeDataString(target.Split('?', 2)[1].Split('&').Single(p => p.StartsWith(parameter + "=", StringComparison.Ordinal))[(parameter.Length + 1)..]);

    [Fact]
    public void A_split_archive_is_read_from_its_first_part_and_a_missing_or_damaged_part_is_named()
    {
        var parts = small.Combine("parts");
        var size = new FileInfo(small.ArchivePath).Length;
        var (exit, output, error) = DotnetOci.Run("split", small.ArchivePath, "--size", ((size + 2) / 3).ToString(), "-o", parts);
        Assert.True(exit == 0, error);
        var description = Path.Combine(parts, "small-1.0.0.cnab.tar.parts.json");
        Assert.Contains(description, output);
        var json = JsonSerializer.Deserialize<ArchivePartsDescription>(File.ReadAllBytes(description))!;
        Assert.Equal(3, json.Count);
        Assert.Equal(Digest.OfFile(small.ArchivePath).Hex, json.Sha256);
        Assert.Equal(0, DotnetOci.Run("verify", Path.Combine(parts, "small-1.0.0.cnab.tar.part001")).Exit);
        Assert.Equal(0, DotnetOci.Run("verify", description).Exit);

        var second = Path.Combine(parts, "small-1.0.0.cnab.tar.part002");
        var third = Path.Combine(parts, "small-1.0.0.cnab.tar.part003");
        var bytes = File.ReadAllBytes(third);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(third, bytes);
        (exit, _, error) = DotnetOci.Run("verify", description);
        Assert.Equal(1, exit);
        Assert.Contains($"error {ErrorCodes.ArchivePartDamaged}", error);
        Assert.Contains("part003", error);
        File.Delete(second);
        (exit, _, error) = DotnetOci.Run("verify", Path.Combine(parts, "small-1.0.0.cnab.tar.part001"));
        Assert.Equal(1, exit);
        Assert.Contains($"error {ErrorCodes.ArchivePartMissing}", error);
        Assert.Contains("part002", error);
        (exit, _, error) = DotnetOci.Run("split", small.ArchivePath, "--size", "lots");
        Assert.Equal(1, exit);
        Assert.Contains($"error {ErrorCodes.InvalidPartSize}", error);
    }

    [Theory]
    [InlineData("4.7G", 5046586572L)]
    [InlineData("700M", 734003200L)]
    [InlineData("1048576", 1048576L)]
    [InlineData("64KiB", 65536L)]
    public void Part_sizes_take_bytes_or_a_suffix(string text, long bytes) => Assert.Equal(bytes, ArchiveParts.ParseSize(text));

    private static byte[] ReadEntry(List<TarEntry> entries, string name)
    {
        using var buffer = new MemoryStream();
        entries.Single(e => e.Name == name).DataStream!.CopyTo(buffer);
        return buffer.ToArray();
    }
}
