using System.Net;
using System.Text.Json.Nodes;
using Oci.Build.Graph;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Integration;

/// <summary>What one publish of HelloOci produces, checked with the OCI schemas and with tools nobody here wrote.</summary>
[Collection("Publish")]
public sealed class HelloOciImageTests
{
    private static PublishedHelloOci Published => PublishedHelloOci.Shared;

    [Fact]
    public void Layout_documents_validate_against_the_oci_schemas()
    {
        var root = Published.Sample.LayoutPath;
        Assert.Empty(OciSchemas.Validate(OciSchemas.Layout, File.ReadAllText(Path.Combine(root, "oci-layout"))));
        Assert.Empty(OciSchemas.Validate(OciSchemas.Index, File.ReadAllText(Path.Combine(root, "index.json"))));
        Assert.Empty(OciSchemas.Validate(OciSchemas.Manifest, File.ReadAllText(Published.Layout.BlobPath(Published.ManifestDescriptor.Digest))));
        Assert.Empty(OciSchemas.Validate(OciSchemas.Config, Published.Config.ToJsonString()));
    }

    [Fact]
    public void Layout_holds_exactly_the_blobs_its_index_references()
    {
        var referenced = new HashSet<string> { Published.ManifestDescriptor.Digest.Hex, Published.Manifest.Config.Digest.Hex };
        referenced.UnionWith(Published.Manifest.Layers.Select(l => l.Digest.Hex));
        // The SBOM (on by default) is attached beside the image: its referrers index, artifact manifest, empty config and document.
        referenced.UnionWith(LayoutEntries.SbomOf(Published.Layout, Published.ManifestDescriptor).Blobs.Select(d => d.Hex));
        var present = Directory.GetFiles(Path.Combine(Published.Sample.LayoutPath, "blobs", "sha256")).Select(f => Path.GetFileName(f)!).ToHashSet();
        Assert.Equal(referenced.Order(), present.Order());
    }

    [Fact]
    public void Layers_are_split_by_how_often_they_change()
    {
        var names = Published.Summary["layers"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["base", "runtime", "app"], names);
        Assert.All(Published.Manifest.Layers, l => Assert.Equal(MediaTypes.OciLayerGzip, l.MediaType));

        var runtime = ListLayer(Published.Manifest.Layers[1]);
        var app = ListLayer(Published.Manifest.Layers[2]);
        Assert.Contains("app/libcoreclr.so", runtime);
        Assert.Contains("app/System.Private.CoreLib.dll", runtime);
        Assert.Contains("app/HelloOci.dll", app);
        Assert.Contains("app/HelloOci", app);
        Assert.DoesNotContain("app/HelloOci.dll", runtime);
        Assert.Empty(runtime.Where(p => !p.EndsWith('/')).Intersect(app.Where(p => !p.EndsWith('/'))));
    }

    [Fact]
    public void Config_carries_entrypoint_workdir_user_env_ports_labels_and_history()
    {
        var config = Published.Config;
        var runtime = config["config"]!.AsObject();
        Assert.Equal(["/app/HelloOci"], runtime["Entrypoint"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("/app", runtime["WorkingDir"]!.GetValue<string>());
        Assert.Equal("1654", runtime["User"]!.GetValue<string>());
        var env = runtime["Env"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Contains("ASPNETCORE_HTTP_PORTS=8080", env);
        Assert.Contains("APP_UID=1654", env); // from the base image
        Assert.NotNull(runtime["ExposedPorts"]!["8080/tcp"]);
        Assert.Equal("HelloOci", runtime["Labels"]!["org.opencontainers.image.title"]!.GetValue<string>());
        Assert.Equal("1970-01-01T00:00:00Z", config["created"]!.GetValue<string>());
        Assert.Equal(["amd64", "linux"], new[] { config["architecture"]!.GetValue<string>(), config["os"]!.GetValue<string>() });
        Assert.Equal(Published.Manifest.Layers.Count, config["rootfs"]!["diff_ids"]!.AsArray().Count);
        Assert.Equal(Published.Manifest.Layers.Count, config["history"]!.AsArray().Count);

        var annotations = Published.Manifest.Annotations!;
        Assert.StartsWith("sha256:", annotations[AnnotationKeys.BaseDigest]);
        // index.json: the image under each tag, and its SBOM's referrers index (tag sha256-HEX) as the only other entry.
        LayoutEntries.AssertImagesAndTheirSboms(Published.Layout, ["1.0.0", "latest"], Published.ManifestDescriptor);
        Assert.All(LayoutEntries.Images(Published.Layout), e => Assert.Equal(Published.ManifestDescriptor.Digest, e.Digest));
    }

    [Fact]
    public void Build_log_and_summary_name_reference_digest_paths_and_layer_sizes()
    {
        var digest = Published.ManifestDescriptor.Digest.ToString();
        Assert.Contains($"samples/hello-oci:latest -> {digest}", Published.Result.Output);
        Assert.Contains(Published.Sample.LayoutPath, Published.Result.Output);
        Assert.Contains("layer runtime", Published.Result.Output);
        Assert.Contains("MiB", Published.Result.Output);
        Assert.DoesNotContain("warning OCI", Published.Result.Output);

        Assert.Contains($"GeneratedContainer samples/hello-oci digest={digest} layout={Published.Sample.LayoutPath} summary={Published.Sample.SummaryPath} archive={Path.GetFullPath(Published.ArchivePath)} GeneratedArchiveOutputPath={Path.GetFullPath(Published.ArchivePath)}",
            Published.Result.Output);

        var summary = Published.Summary;
        Assert.Equal(digest, summary["manifestDigest"]!.GetValue<string>());
        Assert.Equal(["samples/hello-oci:1.0.0", "samples/hello-oci:latest"], summary["references"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(Path.GetFullPath(Published.ArchivePath), summary["archivePath"]!.GetValue<string>());
        var layers = summary["layers"]!.AsArray();
        for (var i = 0; i < layers.Count; i++)
            Assert.Equal(Published.Manifest.Layers[i].Size, layers[i]!["size"]!.GetValue<long>());
    }

    [Fact]
    public void Skopeo_reads_the_layout_and_the_archive_with_the_same_digest()
    {
        var digest = Published.ManifestDescriptor.Digest.ToString();
        var inspect = ProcessRunner.Run("skopeo", "inspect", $"oci:{Published.Sample.LayoutPath}:latest").EnsureSuccess("skopeo inspect");
        Assert.Equal(digest, JsonNode.Parse(inspect.StandardOutput)!["Digest"]!.GetValue<string>());

        using var copy = new TempDirectory("skopeo");
        ProcessRunner.Run("skopeo", "copy", $"oci-archive:{Published.ArchivePath}:samples/hello-oci:1.0.0", $"oci:{copy.Path}/out:copied").EnsureSuccess("skopeo copy oci-archive");
        var copied = JsonNode.Parse(ProcessRunner.Run("skopeo", "inspect", $"oci:{copy.Path}/out:copied").EnsureSuccess("skopeo inspect copy").StandardOutput)!;
        Assert.Equal(digest, copied["Digest"]!.GetValue<string>());
    }

    [Fact]
    public void Podman_loads_the_archive_under_the_image_name()
    {
        using var storage = new TempDirectory("podman");
        // podman refuses a runroot path longer than 50 characters.
        var runroot = Path.Combine("/tmp", "ocib-" + Guid.NewGuid().ToString("N")[..8]);
        using var cleanup = new DeleteOnDispose(runroot);
        string[] store = ["--root", storage.Combine("root"), "--runroot", runroot, "--storage-driver", "vfs"];
        // The layout has the SBOM beside the image; the archive names the image alone (podman 4 refuses an index.json of
        // two entries: "more than one image in oci, choose an image"), and holds no blob of the SBOM.
        var sbom = LayoutEntries.SbomOf(Published.Layout, Published.ManifestDescriptor);
        using (var archive = ArchiveSource.Open(Published.ArchivePath))
        {
            var only = Assert.Single(archive.Index.Manifests);
            Assert.Equal((Published.ManifestDescriptor.Digest, "samples/hello-oci:1.0.0"), (only.Digest, only.Annotation(AnnotationKeys.RefName)));
            Assert.All(sbom.Blobs, d => Assert.False(archive.Members.Files.ContainsKey(archive.BlobName(d)), $"{d} of the SBOM is in the archive"));
        }
        var load = ProcessRunner.Run("podman", [.. store, "load", "-i", Published.ArchivePath]).EnsureSuccess("podman load");
        Assert.Contains("samples/hello-oci:1.0.0", load.Output);
        var images = ProcessRunner.Run("podman", [.. store, "images", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"]).EnsureSuccess("podman images");
        Assert.Contains($"localhost/samples/hello-oci:1.0.0 {Published.ManifestDescriptor.Digest}", images.StandardOutput);
    }

    [Fact]
    public async Task Umoci_unpacks_it_and_the_entrypoint_answers_http_in_a_chroot()
    {
        using var bundle = new TempDirectory("bundle");
        var target = Path.Combine(bundle.Path, "hello");
        ProcessRunner.Run("umoci", "unpack", "--image", $"{Published.Sample.LayoutPath}:1.0.0", target).EnsureSuccess("umoci unpack");
        Assert.True(File.Exists(Path.Combine(target, "rootfs", "app", "HelloOci")));

        var port = FreePort.Next();
        using var container = RootfsRunner.Start(target, Published.Config, new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port.ToString() });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        HttpResponseMessage? response = null;
        for (var attempt = 0; attempt < 60 && response is null && !container.HasExited; attempt++)
        {
            try
            {
                response = await http.GetAsync($"http://127.0.0.1:{port}/");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(250);
            }
        }
        Assert.True(response is not null, $"The app never answered. Its output:\n{container.Output}");
        Assert.Equal(HttpStatusCode.OK, response!.StatusCode);
        Assert.Contains("Hello from HelloOci", await response.Content.ReadAsStringAsync());
    }

    private List<string> ListLayer(Descriptor layer)
    {
        using var stream = LayerCompression.Decompress(layer.MediaType, File.OpenRead(Published.Layout.BlobPath(layer.Digest)));
        using var reader = new System.Formats.Tar.TarReader(stream);
        var names = new List<string>();
        while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        return names;
    }

    private sealed class DeleteOnDispose(string path) : IDisposable
    {
        public void Dispose()
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
    }
}
