using Oci.Build.Store;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.SdkCompat;

/// <summary>The engine side of the SDK's surface: app command instructions, Docker media types, file ownership.</summary>
public sealed class SdkSurfaceEngineTests : IDisposable
{
    private readonly TempDirectory _temp = new("sdk-engine");

    public void Dispose() => _temp.Dispose();

    private static (IReadOnlyList<string>? Entrypoint, IReadOnlyList<string> Cmd) Resolve(string? instruction, string[]? command = null, string[]? args = null,
        string[]? defaults = null, string[]? legacy = null, string[]? legacyArgs = null) =>
        AppCommand.Resolve(new AppCommand.Inputs
        {
            Instruction = instruction, Command = command ?? ["/app/api"], CommandArgs = args ?? [], DefaultArgs = defaults ?? [],
            LegacyEntrypoint = legacy ?? [], LegacyEntrypointArgs = legacyArgs ?? [],
        });

    [Fact]
    public void App_command_instructions_place_the_command_as_the_sdk_does()
    {
        // Entrypoint (the default): the app and its fixed args start the container; default args are the overridable Cmd.
        var entry = Resolve(null, args: ["--fixed"], defaults: ["--verbose"]);
        Assert.Equal(["/app/api", "--fixed"], entry.Entrypoint!);
        Assert.Equal(["--verbose"], entry.Cmd);
        // DefaultArgs: the base's entrypoint (null: kept) runs the app, which is the Cmd.
        var defaults = Resolve("DefaultArgs", args: ["--fixed"], defaults: ["--verbose"]);
        Assert.Null(defaults.Entrypoint);
        Assert.Equal(["/app/api", "--fixed", "--verbose"], defaults.Cmd);
        // None: only the deprecated entrypoint items, or the base's entrypoint.
        var none = Resolve("None", command: [], legacy: ["/bin/tini", "--"], defaults: ["run"]);
        Assert.Equal(["/bin/tini", "--"], none.Entrypoint!);
        Assert.Equal(["run"], none.Cmd);
        // Projects from before AppCommand: only ContainerEntrypointArgs -> the app command is the entrypoint, the old args its Cmd.
        var legacyArgs = Resolve(null, legacyArgs: ["--old"]);
        Assert.Equal(["/app/api"], legacyArgs.Entrypoint!);
        Assert.Equal(["--old"], legacyArgs.Cmd);
        // A ContainerEntrypoint with no instruction: it stays the entrypoint and the app goes to Cmd.
        var legacy = Resolve(null, legacy: ["/bin/sh", "-c"]);
        Assert.Equal(["/bin/sh", "-c"], legacy.Entrypoint!);
        Assert.Equal(["/app/api"], legacy.Cmd);
    }

    [Theory]
    [InlineData("Sometimes", null, null)]
    [InlineData("Entrypoint", new[] { "/bin/sh" }, null)]
    [InlineData("None", null, null)]
    [InlineData(null, null, new[] { "--args-without-entrypoint" })]
    public void Conflicting_app_command_settings_are_refused_with_OCI1042(string? instruction, string[]? legacy, string[]? legacyArgs)
    {
        var error = Assert.Throws<OciException>(() => instruction == "None"
            ? Resolve(instruction, args: ["--x"])
            : Resolve(instruction, legacy: legacy, legacyArgs: legacyArgs, defaults: legacyArgs is null ? null : ["--d"]));
        Assert.Equal(ErrorCodes.AppCommandInstruction, error.Code);
    }

    [Fact]
    public void Docker_format_writes_docker_media_types_for_manifest_config_and_every_layer_with_the_same_blobs()
    {
        var baseLayout = _temp.Combine("base");
        TestImages.Base(_temp.Path, baseLayout, _temp.Combine("cache"), 1024);
        using var baseImage = TestImages.FromLayout(baseLayout, "1");
        var file = _temp.Combine("app.txt");
        File.WriteAllText(file, "app");
        var layer = new LayerBuilder(new ContentStore(_temp.Combine("cache")), LayerCompression.Gzip, new TarSettings(0))
            .Build(new LayerSpec("app", [LayerEntry.FromFile("app/app.txt", file)]));
        var oci = ImageBuilder.Build(baseImage, [layer], TestImages.Settings("app", "1"), _temp.Combine("oci"));
        var docker = ImageBuilder.Build(baseImage, [layer], TestImages.Settings("app", "1") with { Format = ImageFormat.Docker }, _temp.Combine("docker"));

        var manifest = JsonNode.Parse(File.ReadAllBytes(OciLayout.Open(docker.LayoutPath).BlobPath(docker.Manifest.Digest)))!;
        Assert.Equal(MediaTypes.DockerManifest, manifest["mediaType"]!.GetValue<string>());
        Assert.Equal(MediaTypes.DockerManifest, docker.Manifest.MediaType);
        Assert.Equal(MediaTypes.DockerConfig, manifest["config"]!["mediaType"]!.GetValue<string>());
        Assert.All(manifest["layers"]!.AsArray(), l => Assert.Equal(MediaTypes.DockerLayerGzip, l!["mediaType"]!.GetValue<string>()));
        Assert.Null(manifest["annotations"]);
        // Only the descriptors differ: config and layer bytes are the same as the OCI build's.
        Assert.Equal(oci.Config.Digest, docker.Config.Digest);
        Assert.Equal(oci.Layers.Select(l => l.Descriptor.Digest), docker.Layers.Select(l => l.Descriptor.Digest));

        var zstd = new LayerBuilder(new ContentStore(_temp.Combine("cache")), LayerCompression.Parse("zstd"), new TarSettings(0))
            .Build(new LayerSpec("app", [LayerEntry.FromFile("app/app.txt", file)]));
        var error = Assert.Throws<OciException>(() =>
            ImageBuilder.Build(baseImage, [zstd], TestImages.Settings("app", "1") with { Format = ImageFormat.Docker }, _temp.Combine("docker-zstd")));
        Assert.Equal(ErrorCodes.ImageFormatUnsupported, error.Code);
        Assert.False(Directory.Exists(_temp.Combine("docker-zstd")), "nothing half-written");
        Assert.Equal(ErrorCodes.ImageFormatUnsupported, Assert.Throws<OciException>(() => ImageFormats.Parse("v1")).Code);
    }

    [Fact]
    public void App_files_are_roots_and_read_only_to_the_app_and_only_writable_directories_belong_to_its_user()
    {
        var publish = _temp.Combine("publish");
        Directory.CreateDirectory(Path.Combine(publish, "wwwroot"));
        File.WriteAllText(Path.Combine(publish, "api.dll"), "dll");
        File.WriteAllText(Path.Combine(publish, "wwwroot", "index.html"), "html");
        File.WriteAllText(Path.Combine(publish, "api"), "apphost");
        File.SetUnixFileMode(Path.Combine(publish, "api"), (UnixFileMode)0b111_101_101);
        var plan = PublishLayerPlanner.Plan(publish, new Dictionary<string, PublishedFileKind>(), LayeringMode.Layered, [], "/app");
        plan = WritableDirectory.AddTo(plan, [WritableDirectory.Parse("data", null, "1654"), WritableDirectory.Parse("/var/cache/api", "1000:2000", "1654")], "/app");
        var layer = new LayerBuilder(new ContentStore(_temp.Combine("cache")), LayerCompression.Gzip, new TarSettings(0)).Build(plan.Single());

        var entries = new Dictionary<string, TarEntry>();
        using (var gzip = new GZipStream(File.OpenRead(layer.BlobPath), CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
            while (tar.GetNextEntry() is { } entry) entries[entry.Name.TrimEnd('/')] = entry;

        Assert.Equal((1654, 1654, 0b111_101_101), Owner(entries["app/data"]));
        Assert.Equal((1000, 2000, 0b111_101_101), Owner(entries["var/cache/api"]));
        Assert.Equal((0, 0, 0b111_101_101), Owner(entries["var/cache"]));
        Assert.Equal((0, 0, 0b111_101_101), Owner(entries["app"]));
        Assert.Equal((0, 0, 0b111_101_101), Owner(entries["app/wwwroot"]));
        Assert.Equal((0, 0, 0b111_101_101), Owner(entries["app/api"]));      // the apphost: executable
        Assert.Equal((0, 0, 0b110_100_100), Owner(entries["app/api.dll"]));  // everything else: 0644
        Assert.Equal((0, 0, 0b110_100_100), Owner(entries["app/wwwroot/index.html"]));

        static (int, int, int) Owner(TarEntry entry) => (entry.Uid, entry.Gid, (int)entry.Mode);
    }

    [Theory]
    [InlineData("data", null, "app")]
    [InlineData("data", "nobody", "1654")]
    [InlineData("", null, "1654")]
    public void A_writable_directory_without_a_numeric_owner_is_refused_with_OCI1040(string path, string? owner, string user) =>
        Assert.Equal(ErrorCodes.WritableDirectoryOwner, Assert.Throws<OciException>(() => WritableDirectory.Parse(path, owner, user)).Code);
}
