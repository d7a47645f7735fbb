using System.Formats.Tar;
using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using FreePort = Oci.Build.Tests.Infrastructure.FreePort;

namespace Oci.Build.Tests.MultiPlatform;

/// <summary>
/// <c>dotnet publish HelloOci -p:ContainerRuntimeIdentifiers="linux-x64;linux-arm64"</c> on a multi-platform base: one
/// publish per runtime identifier, one OCI image index (a manifest per platform, shared layers stored once) in the layout,
/// the archive and the registry under every tag and no other; containerd runs the amd64 image from the archive and
/// from the registry.
/// </summary>
[Collection("Publish")]
public sealed class MultiPlatformOutputTests(MultiPlatformPublish published) : IClassFixture<MultiPlatformPublish>
{
    private static readonly string[] Tags = ["1.0.0", "latest"];

    [Fact]
    public void The_layout_holds_one_index_under_every_tag_with_a_manifest_per_platform_and_shared_layers_stored_once()
    {
        published.Result.EnsureSuccess("multi-platform publish");
        Assert.DoesNotContain("OCI1013", published.Result.Output);
        // Once per runtime identifier.
        Assert.Contains(Path.Combine("linux-x64", "publish"), published.Result.Output);
        Assert.Contains(Path.Combine("linux-arm64", "publish"), published.Result.Output);

        var layout = OciLayout.Open(published.Sample.LayoutPath);
        Assert.Equal(Tags, layout.ImageTags().Order());
        var indexDescriptor = Assert.Single(LayoutEntries.Images(layout).DistinctBy(m => m.Digest));
        Assert.Equal(MediaTypes.OciIndex, indexDescriptor.MediaType);
        var index = OciJson.Deserialize<ImageIndex>(layout.ReadDocument(indexDescriptor, "index"), "index");
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], index.Manifests.Select(m => m.Platform!.ToString()));

        var manifests = index.Manifests.Select(m => OciJson.Deserialize<ImageManifest>(layout.ReadDocument(m, "manifest"), "manifest")).ToList();
        foreach (var (descriptor, manifest) in index.Manifests.Zip(manifests))
        {
            var config = JsonNode.Parse(layout.ReadDocument(manifest.Config, "config"))!;
            Assert.Equal(descriptor.Platform!.Architecture, config["architecture"]!.GetValue<string>());
            Assert.Equal(published.SharedBaseLayer, manifest.Layers[0].Digest);
        }
        // The apphost and runtime differ per platform, so the app and runtime layers do too.
        Assert.NotEqual(manifests[0].Layers[^1].Digest, manifests[1].Layers[^1].Digest);

        // Exactly the referenced blobs, each once: the shared base layer is one file.
        var referenced = new HashSet<Digest> { indexDescriptor.Digest };
        foreach (var (descriptor, manifest) in index.Manifests.Zip(manifests))
        {
            referenced.Add(descriptor.Digest);
            referenced.Add(manifest.Config.Digest);
            foreach (var layer in manifest.Layers) referenced.Add(layer.Digest);
        }
        Assert.Equal(2 * manifests[0].Layers.Count + 2 + 2 + 1 - 1, referenced.Count);
        // Each platform's SBOM came along from its publish, attached to that platform's manifest (an SBOM describes one
        // runnable image: the index has none of its own, as buildx attaches its SBOM attestations per platform).
        LayoutEntries.AssertImagesAndTheirSboms(layout, [.. LayoutEntries.Images(layout).Select(m => m.Annotation(AnnotationKeys.RefName)!)], [.. index.Manifests]);
        foreach (var platform in index.Manifests) referenced.UnionWith(LayoutEntries.SbomOf(layout, platform).Blobs);
        var files = Directory.GetFiles(Path.Combine(layout.Root, "blobs", "sha256")).Select(f => Path.GetFileName(f)).Order();
        Assert.Equal(referenced.Select(d => d.Hex).Order(), files);
    }

    [Fact]
    public void The_summary_and_the_log_describe_the_index_and_its_platforms()
    {
        published.Result.EnsureSuccess("multi-platform publish");
        var layout = OciLayout.Open(published.Sample.LayoutPath);
        var index = layout.Index.Manifests[0];
        var summary = JsonNode.Parse(File.ReadAllText(published.Sample.SummaryPath))!.AsObject();
        Assert.Equal(index.Digest.ToString(), summary["manifestDigest"]!.GetValue<string>());
        Assert.Equal(MediaTypes.OciIndex, summary["mediaType"]!.GetValue<string>());
        var name = $"{published.Registry.Host}/{MultiPlatformPublish.Repository}";
        Assert.Equal([$"{name}:1.0.0", $"{name}:latest"], summary["references"]!.AsArray().Select(n => n!.GetValue<string>()));
        var platforms = summary["platforms"]!.AsArray();
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], platforms.Select(p => p!["platform"]!.GetValue<string>()));
        foreach (var platform in platforms)
        {
            Assert.Equal(["base", "base", "runtime", "app"], platform!["layers"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()));
            Assert.Contains($"{platform["manifestDigest"]!.GetValue<string>()}", published.Result.Output);
        }
        Assert.Contains($"Image index {name}:1.0.0, {name}:latest -> {index.Digest}", published.Result.Output);
    }

    [Fact]
    public void GeneratedImageIndex_is_the_index_document_and_the_single_image_outputs_stay_empty_as_in_the_sdk()
    {
        published.Result.EnsureSuccess("multi-platform publish");
        // One index, named by every tag.
        var indexDigest = LayoutEntries.Images(OciLayout.Open(published.Sample.LayoutPath)).Select(m => m.Digest).Distinct().Single();
        // Each platform's inner publish prints the line too, with no index; the outer publish, with the index.
        var documents = published.Result.Output.Split('\n').Select(l => l.Trim())
            .Where(l => l.StartsWith("SDK-IMAGE-INDEX=", StringComparison.Ordinal)).Select(l => l["SDK-IMAGE-INDEX=".Length..]).Where(d => d.Length > 0).Distinct().ToList();
        Assert.True(documents.Count == 1, string.Join('\n', documents));
        var document = documents[0];
        // The property holds the index byte for byte: its digest is the one pushed and written to the layout.
        Assert.Equal(indexDigest.ToString(), "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(document))));
        var platforms = JsonNode.Parse(document)!["manifests"]!.AsArray().Select(m => m!["platform"]!["architecture"]!.GetValue<string>());
        Assert.Equal(["amd64", "arm64"], platforms);
        Assert.Contains("SDK-MANIFEST=[] SDK-CONFIG=[]", published.Result.Output);
    }

    [Fact]
    public void The_archive_names_the_index_once()
    {
        published.Result.EnsureSuccess("multi-platform publish");
        var indexDigest = OciLayout.Open(published.Sample.LayoutPath).Index.Manifests[0].Digest;
        using var stream = File.OpenRead(published.ArchivePath);
        using var reader = new TarReader(stream);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name != "index.json") continue;
            var index = OciJson.Deserialize<ImageIndex>(ReadAll(entry.DataStream!), "archive index");
            var only = Assert.Single(index.Manifests);
            Assert.Equal(MediaTypes.OciIndex, only.MediaType);
            Assert.Equal(indexDigest, only.Digest);
            Assert.Equal($"{published.Registry.Host}/{MultiPlatformPublish.Repository}:1.0.0", only.Annotation(AnnotationKeys.RefName));
            return;
        }
        Assert.Fail("The archive has no index.json.");
    }

    [Fact]
    public void The_registry_holds_the_index_under_every_tag_and_no_per_platform_tag()
    {
        published.Result.EnsureSuccess("multi-platform publish");
        var indexDigest = OciLayout.Open(published.Sample.LayoutPath).Index.Manifests[0].Digest;
        var host = published.Registry.Host;
        var platformManifests = new List<string>();
        foreach (var tag in Tags)
        {
            var raw = ProcessRunner.Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{host}/{MultiPlatformPublish.Repository}:{tag}")
                .EnsureSuccess($"skopeo inspect {tag}").StandardOutput.TrimEnd('\n');
            Assert.Equal(indexDigest, Digest.Of(System.Text.Encoding.UTF8.GetBytes(raw)));
            var platforms = JsonNode.Parse(raw)!["manifests"]!.AsArray().Select(m => $"{m!["platform"]!["os"]}/{m["platform"]!["architecture"]}");
            Assert.Equal(["linux/amd64", "linux/arm64"], platforms);
            platformManifests = JsonNode.Parse(raw)!["manifests"]!.AsArray().Select(m => m!["digest"]!.GetValue<string>()).ToList();
        }
        var tags = JsonNode.Parse(ProcessRunner.Run("skopeo", "list-tags", "--tls-verify=false", $"docker://{host}/{MultiPlatformPublish.Repository}")
            .EnsureSuccess("skopeo list-tags").StandardOutput)!["Tags"]!.AsArray().Select(t => t!.GetValue<string>()).Order();
        // The index's tags, and beside them only each platform's SBOM referrers tag (sha256-HEX of that platform's manifest).
        Assert.Equal([.. Tags, .. platformManifests.Select(d => "sha256-" + d["sha256:".Length..]).Order()], tags);
        Assert.Contains($"Pushed {host}/{MultiPlatformPublish.Repository}:1.0.0", published.Result.Output);
    }

    [Fact]
    public void Containerd_imports_the_archive_and_runs_the_amd64_image()
    {
        published.Result.EnsureSuccess("multi-platform publish");
        using var containerd = new Containerd();
        containerd.Import(published.ArchivePath);
        // The archive names the image as the publish did: with the registry it was pushed to.
        var reference = $"{published.Registry.Host}/{MultiPlatformPublish.Repository}:1.0.0";
        var images = containerd.Ctr("images", "ls").EnsureSuccess("ctr images ls").StandardOutput;
        Assert.Contains(MediaTypes.OciIndex, images);
        using var container = containerd.Run(reference, FreePort.Next());
        var (status, body) = container.Get("/");
        Assert.Equal(200, status);
        Assert.Contains("Hello from HelloOci", body);
    }

    [Fact]
    public void Containerd_pulls_the_pushed_index_and_runs_the_amd64_image()
    {
        published.Result.EnsureSuccess("multi-platform publish");
        using var containerd = new Containerd();
        var reference = $"{published.Registry.Host}/{MultiPlatformPublish.Repository}:latest";
        containerd.Pull(reference, "linux/amd64");
        using var container = containerd.Run(reference, FreePort.Next());
        var (status, body) = container.Get("/");
        Assert.Equal(200, status);
        Assert.Contains("Hello from HelloOci", body);
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
