using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Store;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// A fresh CI runner (an empty cache) building the next version of an image the registry already holds
/// (ContainerPreviousImage): unchanged layers are fetched from the previous image instead of compressed, and the push
/// sends only what is new. Real docker-registry with htpasswd auth; what reached it is counted by a proxy in front.
/// </summary>
public sealed class PreviousImageReuseTests : IDisposable
{
    private readonly TempDirectory _work = new("previous-image");
    private readonly RegistryServer _registry = new(RegistryServer.AuthMode.Htpasswd);
    private readonly FaultProxy _proxy;
    private readonly string _runtime;
    private readonly string _otherRuntime;

    public PreviousImageReuseTests()
    {
        _proxy = new FaultProxy(_registry.Host);
        // Random bytes: gzip cannot shrink them, so "fetched, not compressed" is a real difference in the bytes moved.
        _runtime = _work.Combine("runtime.bin");
        File.WriteAllBytes(_runtime, RandomNumberGenerator.GetBytes(2_000_000));
        _otherRuntime = _work.Combine("other-runtime.bin");
        File.WriteAllBytes(_otherRuntime, RandomNumberGenerator.GetBytes(2_000_000));
    }

    [Fact]
    public void A_fresh_cache_fetches_the_unchanged_layer_from_the_previous_image_and_the_push_sends_only_the_new_layer_and_config()
    {
        using var yesterday = new EngineHarness().As("ci");
        var first = Build(yesterday, _runtime, "version 1", previous: null, "v1");
        yesterday.Push(first.LayoutPath, _proxy.Host, "team/app", "1.0");

        using var freshRunner = new EngineHarness().As("ci");
        using var previous = Previous(freshRunner, $"{_proxy.Host}/team/app:1.0");
        var before = _proxy.Exchanges.Count;
        var second = Build(freshRunner, _runtime, "version 2", previous, "v2");
        var fetches = _proxy.Exchanges.Skip(before).ToList();

        Assert.Equal(nameof(LayerOrigin.FromPreviousImage), Layer(second, "runtime").Origin);
        Assert.Equal(nameof(LayerOrigin.Built), Layer(second, "app").Origin);
        Assert.Equal(Layer(first, "runtime").Descriptor, Layer(second, "runtime").Descriptor);
        // Read from the registry: the manifest, the config, and the one reused layer (nothing else).
        Assert.Single(fetches, e => e.StartsWith($"GET /v2/team/app/blobs/{Layer(first, "runtime").Descriptor.Digest} -> 200", StringComparison.Ordinal));
        Assert.DoesNotContain(fetches, e => e.Contains(Layer(first, "app").Descriptor.Digest.ToString(), StringComparison.Ordinal));
        Assert.Contains(freshRunner.Log.Lines, m => m.StartsWith("info: ", StringComparison.Ordinal) && m.Contains($"reused from {_proxy.Host}/team/app:1.0", StringComparison.Ordinal));
        // Fetched ahead, while the runner hashed its own tars; yesterday's small app layer was left alone.
        Assert.Single(freshRunner.Log.Lines, m => m.Contains(" ahead, ", StringComparison.Ordinal) && m.Contains(Layer(first, "runtime").Descriptor.Digest.ToString(), StringComparison.Ordinal));

        // The same image, byte for byte, as a runner that compressed every layer itself.
        using var compressing = new EngineHarness();
        Assert.Equal(Build(compressing, _runtime, "version 2", previous: null, "v2-compressed").Manifest.Digest, second.Manifest.Digest);

        before = _proxy.Exchanges.Count;
        var push = freshRunner.Push(second.LayoutPath, _proxy.Host, "team/app", "2.0");
        var uploads = _proxy.Exchanges.Skip(before).Where(e => e.StartsWith("PUT /v2/team/app/blobs/uploads/", StringComparison.Ordinal)).ToList();
        // Two blobs went up (the new app layer and the new config); the reused layer was already there.
        Assert.Equal(2, uploads.Count);
        Assert.Equal(Layer(second, "app").Descriptor.Size + second.Config.Size, push.Push.BytesUploaded);
    }

    [Fact]
    public void A_fresh_runner_fetches_the_largest_layers_of_the_previous_image_first()
    {
        // Planned smallest first; random bytes, so each blob is about its file's size (all over the 1 MiB worth fetching).
        var sizes = new[] { 1_200_000, 1_500_000, 2_000_000, 3_000_000 };
        var files = sizes.Select((size, i) =>
        {
            var file = _work.Combine($"layer-{i}.bin");
            File.WriteAllBytes(file, RandomNumberGenerator.GetBytes(size));
            return (Name: $"layer{i}", File: file);
        }).ToList();
        using var yesterday = new EngineHarness().As("ci");
        var first = Build(yesterday, files, "version 1", previous: null, "v1");
        yesterday.Push(first.LayoutPath, _proxy.Host, "team/app", "1.0");

        var blobGets = new ConcurrentQueue<string>();
        _proxy.Rule = request =>
        {
            if (request.IsBlobGet) blobGets.Enqueue(request.Path[(request.Path.LastIndexOf('/') + 1)..]);
            return null;
        };
        using var freshRunner = new EngineHarness().As("ci");
        using var previous = Previous(freshRunner, $"{_proxy.Host}/team/app:1.0");
        var second = Build(freshRunner, files, "version 2", previous, "v2");

        Assert.All(files, f => Assert.Equal(nameof(LayerOrigin.FromPreviousImage), Layer(second, f.Name).Origin));
        var largestFirst = files.Select(f => Layer(first, f.Name).Descriptor).OrderByDescending(d => d.Size).Select(d => d.Digest.ToString()).ToList();
        var fetched = blobGets.Where(largestFirst.Contains).ToList();
        Assert.Equal(largestFirst.Count, fetched.Count);
        // As many fetches at once as cores (at least two): those start together, in any order, and are the largest; every
        // later one starts when a slot frees, the largest of those still waiting first.
        var together = Math.Min(Math.Max(2, Environment.ProcessorCount), largestFirst.Count);
        Assert.Equal(largestFirst.Take(together).Order(), fetched.Take(together).Order());
        Assert.Equal(largestFirst.Skip(together), fetched.Skip(together));
    }

    [Fact]
    public void A_warm_runner_whose_only_new_layer_is_small_does_not_read_the_previous_image()
    {
        using var runner = new EngineHarness().As("ci");
        var first = Build(runner, _runtime, "version 1", previous: null, "v1");
        runner.Push(first.LayoutPath, _proxy.Host, "team/app", "1.0");

        // Same cache, a one-line change: the runtime is unchanged, and the app layer (a few bytes) is cheaper to compress
        // than the registry round trips that could find it.
        using var previous = Previous(runner, $"{_proxy.Host}/team/app:1.0");
        var before = _proxy.Exchanges.Count;
        var second = Build(runner, _runtime, "version 2", previous, "v2");
        Assert.Equal(nameof(LayerOrigin.Unchanged), Layer(second, "runtime").Origin);
        Assert.Equal(nameof(LayerOrigin.Built), Layer(second, "app").Origin);
        Assert.Empty(_proxy.Exchanges.Skip(before));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_previous_image_whose_config_names_the_layer_for_other_bytes_is_not_trusted_and_the_layer_is_built_here(bool fetchedAhead)
    {
        // The lie: a layer of other bytes, listed under the diff_id of this build's runtime tar.
        using var attacker = new EngineHarness().As("ci");
        var honest = Build(new EngineHarness(), _runtime, "version 1", previous: null, "honest");
        var forged = Build(attacker, _otherRuntime, "version 1", previous: null, "forged");
        var lying = Relabel(forged, Layer(forged, "runtime").DiffId, Layer(honest, "runtime").DiffId);
        attacker.Push(lying, _proxy.Host, "team/liar", "1.0");

        using var runner = new EngineHarness().As("ci");
        using var previous = Previous(runner, $"{_proxy.Host}/team/liar:1.0");
        var built = Build(runner, _runtime, "version 1", previous, "after-the-lie", fetchedAhead);

        Assert.Equal(nameof(LayerOrigin.Built), Layer(built, "runtime").Origin);
        Assert.Equal(honest.Manifest.Digest, built.Manifest.Digest);
        Assert.Contains(runner.Log.Lines, w => w.StartsWith($"warning {ErrorCodes.PreviousLayerMismatch}:", StringComparison.Ordinal) && w.Contains(Layer(forged, "runtime").Descriptor.Digest.ToString(), StringComparison.Ordinal));
        // Nothing of the forged layer stays in the runner's store.
        Assert.False(new ContentStore(runner.Cache).Has(Layer(forged, "runtime").Descriptor.Digest));
    }

    [Fact]
    public void No_previous_image_yet_builds_every_layer_here_without_a_warning()
    {
        using var runner = new EngineHarness().As("ci");
        using var previous = Previous(runner, $"{_proxy.Host}/team/never-pushed:1.0");
        var built = Build(runner, _runtime, "version 1", previous, "first");

        Assert.All(built.Layers.Where(l => !l.IsBase), l => Assert.Equal(nameof(LayerOrigin.Built), l.Origin));
        Assert.DoesNotContain(runner.Log.Lines, l => l.StartsWith("warning", StringComparison.Ordinal));
        Assert.Contains(runner.Log.Lines, m => m.StartsWith("detail: No previous image", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "registry.example:5000", "registry.example:5000/team/app:1.0")]
    [InlineData("", null, null)]
    [InlineData("none", "registry.example:5000", null)]
    [InlineData("registry.example/team/app:latest", null, "registry.example/team/app:latest")]
    public void The_previous_image_defaults_to_the_pushed_repository_at_the_first_tag(string setting, string? registry, string? expected) =>
        Assert.Equal(expected, ImageSettingValues.PreviousImage(setting, registry, "team/app", ["1.0", "latest"]));

    [Theory]
    [InlineData("oci:./previous")]
    [InlineData("Not A Reference")]
    public void A_previous_image_that_is_not_a_registry_reference_is_refused(string setting)
    {
        var error = Assert.Throws<OciException>(() => ImageSettingValues.PreviousImage(setting, "registry.example", "team/app", ["1.0"]));
        Assert.Equal(ErrorCodes.InvalidSetting, error.Code);
        Assert.Contains("ContainerPreviousImage", error.Message);
    }

    /// <summary>An image on a small base: a "runtime" layer of the given file and an "app" layer of the given text.</summary>
    /// <param name="fetchAhead">As a publish does on a fresh runner (<see cref="LayerBuilder.StartFetchingPrevious"/>); else
    /// each layer asks the previous image when it misses the cache.</param>
    private ImageResult Build(EngineHarness harness, string runtime, string app, IPreviousLayers? previous, string name, bool fetchAhead = true) =>
        Build(harness, [("runtime", runtime)], app, previous, name, fetchAhead);

    /// <summary>An image on a small base: a layer per (name, file), then an "app" layer of the given text.</summary>
    private ImageResult Build(EngineHarness harness, IReadOnlyList<(string Name, string File)> layerFiles, string app, IPreviousLayers? previous,
        string name, bool fetchAhead = true)
    {
        var baseLayout = _work.Combine($"base-{name}");
        var baseFile = _work.Combine("base.txt");
        if (!File.Exists(baseFile)) File.WriteAllText(baseFile, "the base");
        TestImages.Files([LayerEntry.FromFile("etc/base.txt", baseFile)], TestImages.Settings("base", "1"), baseLayout, _work.Combine("base-cache"));
        using var baseImage = TestImages.FromLayout(baseLayout, "1");
        var appFile = _work.Combine($"app-{name}.txt");
        File.WriteAllText(appFile, app);
        var settings = TestImages.Settings("team/app", "latest");
        var builder = new LayerBuilder(new ContentStore(harness.Cache), LayerCompression.Gzip, new TarSettings(settings.Created.ToUnixTimeSeconds()), previous);
        var plan = layerFiles.Select(l => new LayerSpec(l.Name, [LayerEntry.FromFile($"usr/share/{l.Name}/{Path.GetFileName(l.File)}", l.File)]))
            .Append(new LayerSpec("app", [LayerEntry.FromFile("app/app.txt", appFile)])).ToList();
        if (fetchAhead) builder.StartFetchingPrevious(plan, baseImage.Layers.Select(l => l.Digest).ToHashSet());
        var layers = builder.BuildAll(plan);
        return ImageBuilder.Build(baseImage, layers, settings, _work.Combine($"layout-{name}"));
    }

    private static PreviousImageLayers Previous(EngineHarness harness, string reference) =>
        new(harness.Settings, harness.Log, reference, TestImages.Linux, reference.Split('/')[0]);

    private static ImageLayerInfo Layer(ImageResult image, string name) => image.Layers.Single(l => l.Name == name);

    /// <summary>A copy of the layout whose config lists <paramref name="to"/> where it listed <paramref name="from"/>.</summary>
    private string Relabel(ImageResult image, Digest from, Digest to)
    {
        var layout = OciLayout.Open(image.LayoutPath);
        var manifestDescriptor = layout.FindManifest("latest") with { Annotations = null };
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(manifestDescriptor, "manifest"), "manifest");
        var config = JsonNode.Parse(layout.ReadDocument(manifest.Config, "config"))!.AsObject();
        var diffIds = config["rootfs"]!["diff_ids"]!.AsArray();
        for (var i = 0; i < diffIds.Count; i++)
            if (diffIds[i]!.GetValue<string>() == from.ToString()) diffIds[i] = to.ToString();

        var copy = _work.Combine($"relabelled-{Guid.NewGuid():N}");
        using var writer = OciLayoutWriter.Create(copy);
        foreach (var layer in manifest.Layers) writer.CopyBlob(layout, layer);
        var configDescriptor = writer.WriteBlob(System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()), manifest.Config.MediaType);
        var relabelled = writer.WriteBlob(OciJson.Serialize(manifest with { Config = configDescriptor }), manifestDescriptor.MediaType);
        writer.Commit(new ImageIndex { Manifests = [relabelled.WithAnnotation(AnnotationKeys.RefName, "latest")] });
        return copy;
    }

    public void Dispose()
    {
        _proxy.Dispose();
        _registry.Dispose();
        _work.Dispose();
    }
}
