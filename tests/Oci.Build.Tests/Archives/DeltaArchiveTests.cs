using System.Text.Json;
using Oci.Build.Archives;
using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Store;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;
using Oci.Build.Tests.Serve;

namespace Oci.Build.Tests.Archives;

/// <summary>
/// Release 1.0.0 of the small bundle (<see cref="SmallThickArchive"/>, built in-process), and 2.0.0 with a one-line
/// change of the app (its "app" layer rebuilt from an edited file; the data layer and the base image unchanged), written
/// as a delta against 1.0.0's archive. One registry for the class.
/// </summary>
public sealed class SmallDelta : IDisposable
{
    public SmallDelta()
    {
        V1 = new SmallThickArchive();
        var changed = V1.Combine("files-v2", "app.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(changed)!);
        File.WriteAllText(changed, "hello from the app, version 2");
        var platform = Platform.FromRuntimeIdentifier("linux-x64");
        var created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        using var baseImage = TestImages.FromLayout(V1.Combine("base"), "base");
        V2Layout = V1.Combine("plain-v2");
        var result = TestImages.OnBase(baseImage, V1.Image.CacheDirectory,
            [
                new LayerSpec("app", [LayerEntry.FromFile("app/app.txt", changed)]),
                new LayerSpec("data", [LayerEntry.FromFile("app/data.bin", V1.Combine("files", "data.bin"))]),
            ],
            new ImageSettings { Repository = "test/app", Tags = ["v2"], Platform = platform, Created = created, Entrypoint = ["/app/app"] }, V2Layout);
        V2Manifest = result.Manifest;
        var app = new BundleImageInput("app", "registry.example/test/app:v2", BundleImageSources.FromLayout(V2Layout, "v2"));
        var @base = new BundleImageInput("base", "registry.example/test/base:base", BundleImageSources.FromLayout(V1.Combine("base"), "base"));
        V2Bundle = BundleComposer.Compose(new BundleRequest { Name = "small", Version = "2.0.0", InvocationImage = app, Images = [app, @base] });
        DeltaPath = WriteV2("small-2.0.0.delta.cnab.tar", V1.ArchivePath);
    }

    public SmallThickArchive V1 { get; }
    public string V2Layout { get; }
    public Descriptor V2Manifest { get; }
    public CnabBundle V2Bundle { get; }
    public string DeltaPath { get; }
    public RegistryServer Registry => field ??= new RegistryServer();

    /// <summary>The v1 app's data layer and the base layer: unchanged, so the delta leaves them out.</summary>
    public IReadOnlySet<string> Unchanged => V1.Image.BaseLayers.Append(V1.Image.AddedLayers[1]).Select(d => d.ToString()).ToHashSet();

    public string WriteV2(string name, string? baseline) => WriteV2(name, baseline, V2Bundle);

    public string WriteV2(string name, string? baseline, CnabBundle bundle) =>
        ThickArchiveWriter.Write(new ThickArchiveRequest
        {
            ArchivePath = V1.Combine("out", name),
            Bundle = bundle,
            Images = ThickArchiveWriter.ImagesOf(bundle, new BundleImageSourceMap
            {
                Layouts = new Dictionary<string, string> { [bundle.Images!["app"].Image] = V2Layout, [bundle.Images!["base"].Image] = V1.Combine("base") },
            }),
            UnixTime = 1_700_000_000,
            Baseline = baseline is null ? null : ArchiveBaseline.Load(baseline),
        }, location => new LayoutSource(OciLayout.Open(location.Path)), new CapturingLog()).ArchivePath;

    /// <summary>v1's checksums.sha256, as a site would send it back.</summary>
    public string V1Checksums()
    {
        var path = V1.Combine("v1-checksums.sha256");
        using var source = ArchiveSource.Open(V1.ArchivePath);
        File.WriteAllBytes(path, source.Members.TryReadDocument(ThickArchive.ChecksumFile, ErrorCodes.InvalidThickArchive)!);
        return path;
    }

    public void Dispose()
    {
        Registry.Dispose();
        V1.Dispose();
    }
}

public sealed class DeltaArchiveTests(SmallDelta delta) : IClassFixture<SmallDelta>
{
    private static HashSet<string> CarriedBlobs(string archive)
    {
        using var source = ArchiveSource.Open(archive);
        return source.Members.Files.Keys.Where(n => n.StartsWith("artifacts/layout/blobs/sha256/", StringComparison.Ordinal)).Select(n => "sha256:" + n[^64..]).ToHashSet();
    }

    [Fact]
    public async Task A_delta_carries_the_changed_layer_configs_and_manifests_and_records_the_unchanged_layers_it_expects()
    {
        var v1 = CarriedBlobs(delta.V1.ArchivePath);
        var carried = CarriedBlobs(delta.DeltaPath);
        using (var source = ArchiveSource.Open(delta.DeltaPath))
        {
            var record = source.Delta!;
            Assert.Equal(delta.Unchanged, record.Expected.Select(e => e.Digest).ToHashSet());
            Assert.Equal("small-1.0.0.cnab.tar", record.Baseline.Archive);
            Assert.Equal(Digest.OfFile(delta.V1.ArchivePath).Hex, record.Baseline.Sha256);
            // The base layer is expected in both repositories that use it; the data layer in the app's only.
            var baseLayer = record.Expected.Single(e => e.Digest == delta.V1.Image.BaseLayers[0].ToString());
            Assert.Equal(["registry.example/test/app", "registry.example/test/base"], baseLayer.Repositories);
            Assert.Equal(["registry.example/test/app"], record.Expected.Single(e => e.Digest == delta.V1.Image.AddedLayers[1].ToString()).Repositories);
            // Carried: the new app layer and every document and config; nothing the baseline had but those small ones.
            var graph = await ImageWalker.WalkAsync(source, [delta.V2Manifest], default);
            Assert.Contains(graph.Blobs.Single(b => b.Role == "layer" && !delta.Unchanged.Contains(b.Descriptor.Digest.ToString())).Descriptor.Digest.ToString(), carried);
            Assert.All(graph.Blobs.Where(b => b.Role == "config"), b => Assert.Contains(b.Descriptor.Digest.ToString(), carried));
            Assert.Empty(carried.Intersect(delta.Unchanged));
        }
        Assert.True(new FileInfo(delta.DeltaPath).Length < new FileInfo(delta.V1.ArchivePath).Length - 20_000, "the 20 kB data layer stays home");

        // Deterministic, and the same from the previous archive, its index file or (here, where every repository had them) its checksum file.
        Assert.Equal(Digest.OfFile(delta.DeltaPath), Digest.OfFile(delta.WriteV2("again.cnab.tar", delta.V1.ArchivePath)));
        Assert.Equal(Digest.OfFile(delta.DeltaPath), Digest.OfFile(delta.WriteV2("from-index.cnab.tar", ArchiveIndex.PathFor(delta.V1.ArchivePath))));
        using (var fromChecksums = ArchiveSource.Open(delta.WriteV2("from-checksums.cnab.tar", delta.V1Checksums())))
            Assert.Equal(delta.Unchanged, fromChecksums.Delta!.Expected.Select(e => e.Digest).ToHashSet());
    }

    [Fact]
    public void The_index_beside_an_archive_is_the_one_read_from_the_archive_and_lists_every_blob_with_its_repositories()
    {
        foreach (var archive in new[] { delta.V1.ArchivePath, delta.DeltaPath })
        {
            var written = ArchiveIndex.Read(ArchiveIndex.PathFor(archive));
            using var source = ArchiveSource.Open(archive);
            var derived = ArchiveIndex.Of(source, Digest.OfFile(archive).Hex, new FileInfo(archive).Length);
            Assert.Equal(derived.Serialize(), written.Serialize());
            Assert.Equal(new FileInfo(archive).Length, written.Size);
            Assert.Equal("small", written.Bundle!.Name);
        }
        var v2 = ArchiveIndex.Read(ArchiveIndex.PathFor(delta.DeltaPath));
        Assert.Equal(delta.Unchanged, v2.Blobs.Where(b => !b.Carried).Select(b => b.Digest).ToHashSet());
        Assert.Equal("2.0.0", v2.Bundle!.Version);
        var data = v2.Blobs.Single(b => b.Digest == delta.V1.Image.AddedLayers[1].ToString());
        Assert.Equal(("layer", 1), (data.Role, data.Repositories.Count));
    }

    [Fact]
    public void Verify_accepts_a_delta_and_lists_the_blobs_the_site_must_have()
    {
        var (exit, output, error) = DotnetOci.Run("verify", delta.DeltaPath);
        Assert.True(exit == 0, error);
        foreach (var digest in delta.Unchanged) Assert.Contains($"needs {digest}", output);
        (exit, output, _) = DotnetOci.Run("verify", delta.DeltaPath, "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(delta.Unchanged, json.RootElement.GetProperty("delta").GetProperty("expected").EnumerateArray().Select(e => e.GetProperty("digest").GetString()!).ToHashSet());
    }

    [Fact]
    public async Task A_delta_imported_on_v1_completes_v2_and_onto_a_registry_missing_part_of_v1_it_pushes_nothing_and_names_the_missing_blobs()
    {
        using var work = new TempDirectory("delta-import");
        var registry = delta.Registry;

        // A site that has only the base image of v1 (copied alone): the delta's data layer is missing from the app's repository.
        var target = RelocationTarget.Parse($"{registry.Host}/partial");
        var plan = RelocationPlanner.Plan(delta.V2Bundle, target, RelocationNaming.Prefix);
        var baseRepository = plan.Single(i => i.Original.Contains("test/base")).Repository;
        var appRepository = plan.Single(i => i.Original.Contains("test/app")).Repository;
        Assert.Equal(0, DotnetOci.Run("copy", $"oci-archive:{delta.V1.ArchivePath}:base", $"docker://{registry.Host}/{baseRepository}:base").Exit);
        var before = Catalog(registry);
        var (exit, _, error) = DotnetOci.Run("import", delta.DeltaPath, "--registry", $"{registry.Host}/partial", "--relocation-mapping", work.Combine("partial.json"));
        Assert.Equal(1, exit);
        Assert.Contains($"error {ErrorCodes.DeltaBaseMissing}", error);
        Assert.Contains($"{delta.V1.Image.AddedLayers[1]}", error);
        Assert.Contains($"{delta.V1.Image.BaseLayers[0]} (", error); // missing in the app's repository, though the base repository has it
        Assert.Equal(before, Catalog(registry));
        Assert.DoesNotContain(appRepository, before);
        Assert.False(File.Exists(work.Combine("partial.json")));

        // v1 whole, then the delta on top: every v2 image complete in the registry (skopeo copies it, digests as in the bundle).
        var mapping = work.Combine("site.json");
        (exit, _, error) = DotnetOci.Run("import", delta.V1.ArchivePath, "--registry", $"{registry.Host}/site", "--relocation-mapping", mapping);
        Assert.True(exit == 0, error);
        (exit, var output, error) = DotnetOci.Run("import", delta.DeltaPath, "--registry", $"{registry.Host}/site", "--relocation-mapping", mapping);
        Assert.True(exit == 0, error);
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(mapping))!;
        Directory.CreateDirectory(work.Combine("pulled"));
        foreach (var (_, image) in delta.V2Bundle.AllImages())
        {
            var layout = work.Combine("pulled", Guid.NewGuid().ToString("N"));
            ProcessRunner.Run("skopeo", "copy", "--all", "--src-tls-verify=false", $"docker://{map[image.Image]}", $"oci:{layout}:x").EnsureSuccess("skopeo copy");
            Assert.Equal(image.ContentDigest, OciLayout.Open(layout).FindManifest("x").Digest.ToString());
            Assert.True((await ImageVerifier.VerifyAsync(new LayoutSource(OciLayout.Open(layout)), [OciLayout.Open(layout).FindManifest("x")])).IsValid);
        }

        // Also from a registry: a delta of v2's app against v1's checksum file leaves out the same unchanged layers.
        var exported = work.Combine("exported-delta.cnab.tar");
        (exit, _, error) = DotnetOci.Run("export", "--image", map[delta.V2Bundle.Images!["app"].Image], "--baseline", delta.V1Checksums(), "-o", exported);
        Assert.True(exit == 0, error);
        using var exportedSource = ArchiveSource.Open(exported);
        Assert.Equal(delta.Unchanged, exportedSource.Delta!.Expected.Select(e => e.Digest).ToHashSet());
    }

    [Fact]
    public void Serve_of_the_full_archive_and_the_delta_serves_v2_to_skopeo_and_refuses_the_delta_alone()
    {
        using var work = new TempDirectory("delta-serve");
        using (var server = new ServeProcess(delta.V1.ArchivePath, delta.DeltaPath))
        {
            var layout = work.Combine("pulled");
            ProcessRunner.Run("skopeo", "copy", "--all", "--src-tls-verify=false", $"docker://{server.Host}/test/app:v2", $"oci:{layout}:x").EnsureSuccess("skopeo copy from serve");
            Assert.Equal(delta.V2Manifest.Digest, OciLayout.Open(layout).FindManifest("x").Digest);
            // Layering adds bytes, not access: the app's data layer is still not served through the base repository.
            using var http = new HttpClient();
            var blob = http.Send(new HttpRequestMessage(HttpMethod.Head, $"http://{server.Host}/v2/test/base/blobs/{delta.V1.Image.AddedLayers[1]}"));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, blob.StatusCode);
        }
        var alone = Assert.Throws<AggregateException>(() => new ServeProcess(delta.DeltaPath).Dispose());
        Assert.Contains($"error {ErrorCodes.DeltaServedWithoutBase}", alone.InnerException!.Message);
    }

    [Fact]
    public void A_bad_baseline_is_refused_with_a_coded_error_and_no_archive()
    {
        OciException Refused(string baseline, CnabBundle? bundle = null) =>
            Assert.Throws<OciException>(() => delta.WriteV2("bad.cnab.tar", baseline, bundle ?? delta.V2Bundle));

        Assert.Equal(ErrorCodes.InvalidArchiveBaseline, Refused(delta.V1.Combine("no-such.cnab.tar")).Code);
        var notAnArchive = delta.V1.Combine("not-an-archive.tar");
        File.WriteAllText(notAnArchive, "hello");
        Assert.Equal(ErrorCodes.InvalidArchiveBaseline, Refused(notAnArchive).Code);
        var damagedIndex = delta.V1.Combine("damaged.index.json");
        File.WriteAllText(damagedIndex, "{\"mediaType\": \"application/vnd.oci-build.archive-index.v1+json\", \"blobs\": [{\"digest\": \"sha256:12\"}]}");
        Assert.Equal(ErrorCodes.DamagedArchiveBaseline, Refused(damagedIndex).Code);
        var damagedChecksums = delta.V1.Combine("damaged.sha256");
        File.WriteAllText(damagedChecksums, "not a checksum line\n");
        Assert.Equal(ErrorCodes.DamagedArchiveBaseline, Refused(damagedChecksums).Code);
        var other = delta.V2Bundle with { Name = "other" };
        Assert.Equal(ErrorCodes.BaselineOfAnotherBundle, Refused(delta.V1.ArchivePath, other).Code);
        Assert.False(File.Exists(delta.V1.Combine("out", "bad.cnab.tar")));
        var (exit, _, error) = DotnetOci.Run("export", "--image", "127.0.0.1:1/x:y", "--baseline", damagedIndex, "-o", delta.V1.Combine("out", "bad2.cnab.tar"));
        Assert.Equal(1, exit);
        Assert.Contains($"error {ErrorCodes.DamagedArchiveBaseline}", error);
    }

    [Fact]
    public void A_delta_whose_record_expects_a_blob_no_image_references_fails_verification_and_import_pushes_nothing()
    {
        // delta.json edited (and its checksum line with it, as an attacker would): one more expected blob, in a repository of no image.
        var tampered = delta.V1.Combine("out", "tampered.cnab.tar");
        var fake = Digest.Of("not a layer of this release"u8.ToArray()).ToString();
        byte[] record;
        using (var source = ArchiveSource.Open(delta.DeltaPath))
            record = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(source.Members.TryReadDocument(ThickArchive.DeltaFile, ErrorCodes.InvalidDeltaRecord)!)
                .Replace("\"expected\": [", $"\"expected\": [ {{ \"digest\": \"{fake}\", \"size\": 10, \"mediaType\": \"{MediaTypes.OciLayerGzip}\", \"repositories\": [\"registry.example/test/other\"] }},", StringComparison.Ordinal));
        var recordHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(record));
        using (var input = File.OpenRead(delta.DeltaPath))
        using (var output = File.Create(tampered))
        {
            using var reader = new System.Formats.Tar.TarReader(input);
            using var writer = new System.Formats.Tar.TarWriter(output, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true);
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                byte[]? content = null;
                if (entry.Name == "./" + ThickArchive.DeltaFile) content = record;
                else if (entry.Name == "./" + ThickArchive.ChecksumFile)
                    content = System.Text.Encoding.UTF8.GetBytes(string.Join("\n", new StreamReader(entry.DataStream!).ReadToEnd().Split('\n')
                        .Select(l => l.EndsWith("./" + ThickArchive.DeltaFile, StringComparison.Ordinal) ? $"{recordHash}  ./{ThickArchive.DeltaFile}" : l)));
                writer.WriteEntry(content is null ? entry : new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, entry.Name) { DataStream = new MemoryStream(content) });
            }
        }
        var report = ThickArchiveVerifier.Verify(tampered);
        Assert.Contains(report.Problems, p => p.Code == ErrorCodes.InvalidDeltaRecord && p.Message.Contains(fake));
        Assert.Contains(report.Problems, p => p.Code == ErrorCodes.DeltaRepositoryNotInBundle && p.Message.Contains("registry.example/test/other"));
        Assert.DoesNotContain(report.Problems, p => p.Code == ErrorCodes.ArchiveChecksumMismatch);

        var before = Catalog(delta.Registry);
        var (exit, _, error) = DotnetOci.Run("import", tampered, "--registry", $"{delta.Registry.Host}/tampered", "--relocation-mapping", delta.V1.Combine("tampered.json"));
        Assert.Equal(1, exit);
        Assert.Contains($"error {ErrorCodes.ImportRefused}", error);
        Assert.Equal(before, Catalog(delta.Registry));
    }

    private static string Catalog(RegistryServer registry)
    {
        using var http = new HttpClient();
        using var response = http.Send(new HttpRequestMessage(HttpMethod.Get, $"http://{registry.Host}/v2/_catalog"));
        return new StreamReader(response.Content.ReadAsStream()).ReadToEnd();
    }
}
