using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Integration;

[Collection("Publish")]
public sealed class ReproducibleAndIncrementalTests
{
    private static JsonObject Summary(SampleProject sample) => JsonNode.Parse(File.ReadAllText(sample.SummaryPath))!.AsObject();

    private static Dictionary<string, string> LayerDigests(SampleProject sample) =>
        Summary(sample)["layers"]!.AsArray().ToDictionary(l => l!["name"]!.GetValue<string>(), l => l!["digest"]!.GetValue<string>());

    [Fact]
    public void Two_clean_publishes_in_different_folders_give_the_same_digest()
    {
        using var first = new SampleProject();
        using var second = new SampleProject();
        first.Publish().EnsureSuccess("first publish");
        second.Publish().EnsureSuccess("second publish");
        Assert.NotEqual(first.Directory, second.Directory);
        Assert.Equal(Summary(first)["manifestDigest"]!.GetValue<string>(), Summary(second)["manifestDigest"]!.GetValue<string>());
    }

    [Fact]
    public void Source_date_epoch_is_the_one_timestamp_of_the_image()
    {
        using var sample = new SampleProject();
        sample.Publish(environment: new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = "1700000000" }).EnsureSuccess("publish");
        var layout = OciLayout.Open(sample.LayoutPath);
        var manifest = OciJson.Deserialize<ImageManifest>(File.ReadAllBytes(layout.BlobPath(layout.FindManifest("latest").Digest)), "manifest");
        var config = JsonNode.Parse(File.ReadAllBytes(layout.BlobPath(manifest.Config.Digest)))!;
        Assert.Equal("2023-11-14T22:13:20Z", config["created"]!.GetValue<string>());
        Assert.All(config["history"]!.AsArray().Skip(1), h => Assert.Equal("2023-11-14T22:13:20Z", h!["created"]!.GetValue<string>()));
        Assert.Equal("2023-11-14T22:13:20Z", manifest.Annotations![AnnotationKeys.Created]);

        var appLayer = manifest.Layers[^1];
        using var tar = new System.Formats.Tar.TarReader(new System.IO.Compression.GZipStream(File.OpenRead(layout.BlobPath(appLayer.Digest)), System.IO.Compression.CompressionMode.Decompress));
        while (tar.GetNextEntry() is { } entry)
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), entry.ModificationTime);
    }

    [Fact]
    public async Task A_republish_reuses_every_layer_two_republishes_at_once_both_finish_and_a_one_line_change_changes_only_the_app_layer()
    {
        using var sample = new SampleProject();
        sample.Publish().EnsureSuccess("first publish");
        var before = LayerDigests(sample);
        var digestBefore = Summary(sample)["manifestDigest"]!.GetValue<string>();

        // Two publishes of the project at once, the image step forced past MSBuild's up-to-date check: both write the same
        // layout, summary and cache (they take turns on the layout's lock) and every layer comes from the cache. They run
        // --no-build: compiling one project twice at once races inside MSBuild's own obj/ outputs, which is not ours.
        var republish = new Dictionary<string, string> { ["OciIncrementalImage"] = "false" };
        var both = await Task.WhenAll(new[] { 0, 1 }.Select(_ => Task.Run(() => sample.Publish(republish, extraArguments: ["--no-build"]))));
        foreach (var again in both)
        {
            again.EnsureSuccess("no-change republish, two at once");
            Assert.Contains("(Unchanged)", again.Output);
            Assert.DoesNotContain("(Built)", again.Output);
        }
        Assert.Equal(digestBefore, Summary(sample)["manifestDigest"]!.GetValue<string>());
        // The layout holds exactly the image's blobs: nothing half-written, nothing left over by the writer that lost.
        var layout = OciLayout.Open(sample.LayoutPath);
        // The image and the SBOM's referrers index beside it, walked down to every config and layer.
        IEnumerable<string> Referenced(Descriptor entry)
        {
            var bytes = File.ReadAllBytes(layout.BlobPath(entry.Digest));
            if (MediaTypes.IsIndex(entry.MediaType))
                return OciJson.Deserialize<ImageIndex>(bytes, "index").Manifests.SelectMany(Referenced).Append(entry.Digest.Hex);
            var manifest = OciJson.Deserialize<ImageManifest>(bytes, "manifest");
            return manifest.Layers.Select(l => l.Digest.Hex).Append(manifest.Config.Digest.Hex).Append(entry.Digest.Hex);
        }
        var referenced = layout.Index.Manifests.SelectMany(Referenced);
        Assert.Equal(referenced.Distinct().Order(), Directory.GetFiles(Path.Combine(sample.LayoutPath, "blobs", "sha256")).Select(Path.GetFileName).Order());
        Assert.Equal(["blobs", "index.json", "oci-layout"], Directory.GetFileSystemEntries(sample.LayoutPath).Select(Path.GetFileName).Order());

        var program = sample.Combine("Program.cs");
        File.WriteAllText(program, File.ReadAllText(program).Replace("Hello from HelloOci", "Hello again from HelloOci"));
        sample.Publish().EnsureSuccess("republish after a one-line change");
        var after = LayerDigests(sample);

        Assert.Equal(before["base"], after["base"]);
        Assert.Equal(before["runtime"], after["runtime"]);
        Assert.NotEqual(before["app"], after["app"]);
        Assert.NotEqual(digestBefore, Summary(sample)["manifestDigest"]!.GetValue<string>());
    }

    [Fact]
    public void Content_files_and_static_web_assets_go_into_a_resources_layer_that_a_code_change_leaves_alone()
    {
        using var sample = new SampleProject();
        File.WriteAllText(sample.ProjectFile, File.ReadAllText(sample.ProjectFile).Replace("</Project>", """
              <ItemGroup>
                <Content Include="assets/**" CopyToPublishDirectory="PreserveNewest" />
              </ItemGroup>
            </Project>
            """));
        Directory.CreateDirectory(sample.Combine("assets"));
        File.WriteAllBytes(sample.Combine("assets", "model.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000));
        Directory.CreateDirectory(sample.Combine("wwwroot"));
        File.WriteAllText(sample.Combine("wwwroot", "index.html"), "<p>hello</p>");
        sample.Publish().EnsureSuccess("publish with content files");
        var before = LayerDigests(sample);
        Assert.Equal(["base", "runtime", "resources", "app"], Summary(sample)["layers"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()));

        var layout = OciLayout.Open(sample.LayoutPath);
        List<string> Entries(string digest)
        {
            using var tar = new System.Formats.Tar.TarReader(new System.IO.Compression.GZipStream(File.OpenRead(layout.BlobPath(Digest.Parse(digest))), System.IO.Compression.CompressionMode.Decompress));
            var names = new List<string>();
            while (tar.GetNextEntry() is { } entry) names.Add(entry.Name);
            return names;
        }
        var resources = Entries(before["resources"]);
        Assert.Contains(resources, e => e.EndsWith("app/assets/model.bin", StringComparison.Ordinal));
        Assert.Contains(resources, e => e.EndsWith("app/wwwroot/index.html", StringComparison.Ordinal));
        Assert.DoesNotContain(resources, e => e.EndsWith(".dll", StringComparison.Ordinal));
        Assert.Contains(Entries(before["app"]), e => e.EndsWith("app/HelloOci.dll", StringComparison.Ordinal));

        var program = sample.Combine("Program.cs");
        File.WriteAllText(program, File.ReadAllText(program).Replace("Hello from HelloOci", "Hello again from HelloOci"));
        sample.Publish().EnsureSuccess("republish after a one-line change");
        var after = LayerDigests(sample);
        Assert.Equal(before["resources"], after["resources"]);
        Assert.NotEqual(before["app"], after["app"]);
    }

    [Fact]
    public void A_no_change_republish_skips_the_image_step_writes_nothing_and_still_gives_GeneratedContainer()
    {
        using var sample = new SampleProject();
        var consumer = sample.Combine("..", "consumer.targets");
        File.WriteAllText(consumer, """
            <Project>
              <Target Name="UseGeneratedContainer" AfterTargets="OciPublishImage">
                <Message Importance="high" Text="GeneratedContainer %(GeneratedContainer.Identity) digest=%(GeneratedContainer.ManifestDigest) layout=%(GeneratedContainer.LayoutPath) tags=%(GeneratedContainer.Tags)" />
              </Target>
            </Project>
            """);
        var properties = new Dictionary<string, string> { ["CustomAfterMicrosoftCommonTargets"] = consumer };
        var first = sample.Publish(properties).EnsureSuccess("first publish");
        var digest = Summary(sample)["manifestDigest"]!.GetValue<string>();
        var generated = $"GeneratedContainer samples/hello-oci digest={digest} layout={sample.LayoutPath} tags=1.0.0;latest";
        Assert.Contains(generated, first.Output);
        var index = Path.Combine(sample.LayoutPath, "index.json");
        var written = new[] { index, sample.SummaryPath }.ToDictionary(f => f, File.GetLastWriteTimeUtc);

        var again = sample.Publish(properties).EnsureSuccess("no-change republish");
        Assert.Contains("image step skipped", again.Output);
        Assert.DoesNotContain("(Unchanged)", again.Output); // the image task did not even run
        Assert.Contains(generated, again.Output);
        Assert.All(written, w => Assert.Equal(w.Value, File.GetLastWriteTimeUtc(w.Key)));

        // A setting that changes the image is an input too.
        var relabelled = sample.Publish(new Dictionary<string, string>(properties) { ["ContainerUser"] = "4242" }).EnsureSuccess("publish with another user");
        Assert.DoesNotContain("image step skipped", relabelled.Output);
        Assert.NotEqual(digest, Summary(sample)["manifestDigest"]!.GetValue<string>());

        // So is a deleted output: the layout is written again.
        Directory.Delete(sample.LayoutPath, recursive: true);
        var restored = sample.Publish(new Dictionary<string, string>(properties) { ["ContainerUser"] = "4242" }).EnsureSuccess("publish after deleting the layout");
        Assert.DoesNotContain("image step skipped", restored.Output);
        Assert.True(File.Exists(index));
    }
}
