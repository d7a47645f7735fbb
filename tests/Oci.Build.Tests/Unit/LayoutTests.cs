using System.Formats.Tar;
using Oci.Build.Store;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

public class LayoutTests : IDisposable
{
    private readonly TempDirectory _temp = new("layout");

    public void Dispose() => _temp.Dispose();

    private ImageResult BuildImage(string layoutPath, string content, params string[] tags)
    {
        var file = _temp.Combine("files", "hello.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content);
        var settings = new ImageSettings
        {
            Repository = "test/hello",
            Tags = tags.Length == 0 ? ["v1"] : tags,
            Platform = Platform.FromRuntimeIdentifier("linux-x64"),
            Created = DateTimeOffset.UnixEpoch,
            Entrypoint = ["/hello"],
        };
        return TestImages.Files([LayerEntry.FromFile("hello.txt", file)], settings, layoutPath, _temp.Combine("cache"));
    }

    [Fact]
    public void Written_layout_validates_against_the_oci_schemas_and_holds_exactly_its_blobs()
    {
        var layoutPath = _temp.Combine("layout");
        var result = BuildImage(layoutPath, "one", "v1", "latest");

        Assert.Empty(OciSchemas.Validate(OciSchemas.Layout, File.ReadAllText(Path.Combine(layoutPath, "oci-layout"))));
        Assert.Empty(OciSchemas.Validate(OciSchemas.Index, File.ReadAllText(Path.Combine(layoutPath, "index.json"))));
        var layout = OciLayout.Open(layoutPath);
        Assert.Equal(["v1", "latest"], layout.Tags());
        var manifestJson = File.ReadAllText(layout.BlobPath(result.Manifest.Digest));
        Assert.Empty(OciSchemas.Validate(OciSchemas.Manifest, manifestJson));
        Assert.Empty(OciSchemas.Validate(OciSchemas.Config, File.ReadAllText(layout.BlobPath(result.Config.Digest))));

        var blobs = Directory.GetFiles(Path.Combine(layoutPath, "blobs", "sha256")).Select(f => Path.GetFileName(f)!).Order().ToList();
        var expected = new[] { result.Manifest.Digest, result.Config.Digest }.Concat(result.Layers.Select(l => l.Descriptor.Digest))
            .Select(d => d.Hex).Order().ToList();
        Assert.Equal(expected, blobs);

        // A second build with other content leaves no stale blob of the first.
        BuildImage(layoutPath, "two");
        var after = Directory.GetFiles(Path.Combine(layoutPath, "blobs", "sha256")).Select(f => Path.GetFileName(f)!).ToList();
        Assert.DoesNotContain(result.Manifest.Digest.Hex, after);
        Assert.Equal(3, after.Count);
        Assert.Empty(Directory.GetDirectories(_temp.Path, ".layout.*"));
    }

    [Fact]
    public void Layouts_link_sealed_store_blobs_and_a_write_through_the_link_is_caught()
    {
        var file = _temp.Combine("files", "x.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "x");
        var store = new ContentStore(_temp.Combine("cache"));
        var builder = new LayerBuilder(store, LayerCompression.Gzip, new TarSettings(0));
        var layer = builder.Build(new LayerSpec("app", [LayerEntry.FromFile("x.txt", file)]));
        var settings = new ImageSettings { Repository = "t/x", Tags = ["v1"], Platform = Platform.FromRuntimeIdentifier("linux-x64"), Created = DateTimeOffset.UnixEpoch };
        using (var scratchBase = BaseImage.Scratch())
        {
            ImageBuilder.Build(scratchBase, [layer], settings, _temp.Combine("output"));
            ImageBuilder.Build(scratchBase, [layer], settings, _temp.Combine("output"));   // a republish links what is linked already
        }
        Assert.Empty(Directory.GetFiles(_temp.Combine("output"), "*.tmp", SearchOption.AllDirectories));

        string Stat(string format, string path) => ProcessRunner.Run("stat", "-c", format, path).EnsureSuccess("stat").StandardOutput.Trim();
        var output = OciLayout.Open(_temp.Combine("output")).BlobPath(layer.Descriptor.Digest);
        Assert.Equal("2", Stat("%h", output));     // the store's blob and the layout's are one file: nothing copied
        Assert.Equal("400", Stat("%a", output));   // read-only (and private: the store may hold plaintext of layers to encrypt)

        // A write through the layout's name (root ignores 0400) breaks the seal: the store checks the bytes, finds them
        // wrong and makes the layer again under a new inode; the layout keeps its damaged file to itself.
        var damaged = File.ReadAllBytes(output);
        damaged[^1] ^= 0xff;
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllBytes(output, damaged);
        Assert.False(store.Has(layer.Descriptor.Digest, layer.Descriptor.Size));
        var again = builder.Build(new LayerSpec("app", [LayerEntry.FromFile("x.txt", file)]));
        Assert.Equal(layer.Descriptor.Digest, again.Descriptor.Digest);
        Assert.Equal(layer.Descriptor.Digest, Digest.Of(File.ReadAllBytes(store.BlobPath(layer.Descriptor.Digest))));
        Assert.Equal("1", Stat("%h", output));
        Assert.True(store.Has(layer.Descriptor.Digest, layer.Descriptor.Size));
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_layout_untouched()
    {
        var layoutPath = _temp.Combine("layout");
        var first = BuildImage(layoutPath, "one");
        var blobsBefore = Directory.GetFiles(layoutPath, "*", SearchOption.AllDirectories).Order().ToList();
        using (var writer = OciLayoutWriter.Create(layoutPath))
        {
            writer.WriteBlob("{}"u8, MediaTypes.OciConfig);
            // Dispose without Commit: the blob it added goes, the old layout stays.
        }
        var layout = OciLayout.Open(layoutPath);
        Assert.Equal(first.Manifest.Digest, layout.FindManifest("v1").Digest);
        Assert.Equal(blobsBefore, Directory.GetFiles(layoutPath, "*", SearchOption.AllDirectories).Order().ToList());

        using (var writer = OciLayoutWriter.Create(_temp.Combine("new")))
            writer.WriteBlob("{}"u8, MediaTypes.OciConfig);   // a new layout that fails leaves no folder and no staging
        Assert.False(Directory.Exists(_temp.Combine("new")));
        Assert.Empty(Directory.GetDirectories(_temp.Path, ".new.staging-*"));
    }

    [Fact]
    public void Archive_round_trips_and_is_reproducible()
    {
        var layoutPath = _temp.Combine("layout");
        var result = BuildImage(layoutPath, "one");
        OciArchive.Write(layoutPath, _temp.Combine("a.tar"));
        OciArchive.Write(layoutPath, _temp.Combine("b.tar"));
        Assert.Equal(File.ReadAllBytes(_temp.Combine("a.tar")), File.ReadAllBytes(_temp.Combine("b.tar")));

        var extracted = OciArchive.Extract(_temp.Combine("a.tar"), _temp.Combine("extracted"));
        Assert.Equal(result.Manifest.Digest, extracted.FindManifest("v1").Digest);
    }

    [Theory]
    [InlineData("../escape", TarEntryType.RegularFile)]
    [InlineData("/etc/passwd", TarEntryType.RegularFile)]
    [InlineData("blobs/sha256/../../x", TarEntryType.RegularFile)]
    [InlineData("blobs/sha256/abc", TarEntryType.SymbolicLink)]
    [InlineData("notes.txt", TarEntryType.RegularFile)]
    public void Hostile_archive_entries_are_refused_with_a_coded_error(string name, TarEntryType type)
    {
        var archive = _temp.Combine("hostile.tar");
        using (var output = File.Create(archive))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax))
        {
            var entry = new PaxTarEntry(type, name);
            if (type == TarEntryType.SymbolicLink) entry.LinkName = "/etc/shadow";
            else entry.DataStream = new MemoryStream("x"u8.ToArray());
            writer.WriteEntry(entry);
        }
        var error = Assert.Throws<OciException>(() => OciArchive.Extract(archive, _temp.Combine("out")));
        Assert.Equal(ErrorCodes.UnsafeArchiveEntry, error.Code);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "escape")));
    }

    [Fact]
    public void An_archive_naming_a_file_twice_is_refused()
    {
        var archive = _temp.Combine("twice.tar");
        using (var output = File.Create(archive))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax))
        {
            foreach (var content in new[] { "{}", "{\"evil\":true}" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "index.json") { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) });
        }
        Assert.Equal(ErrorCodes.UnsafeArchiveEntry, Assert.Throws<OciException>(() => OciArchive.Extract(archive, _temp.Combine("out"))).Code);
    }

    [Fact]
    public void Opening_a_directory_that_is_not_a_layout_is_a_coded_error()
    {
        Directory.CreateDirectory(_temp.Combine("empty"));
        Assert.Equal(ErrorCodes.InvalidLayout, Assert.Throws<OciException>(() => OciLayout.Open(_temp.Combine("empty"))).Code);
    }

    [Fact]
    public void Unknown_tag_lists_the_tags_there_are()
    {
        var layoutPath = _temp.Combine("layout");
        BuildImage(layoutPath, "one", "v1", "v2");
        var error = Assert.Throws<OciException>(() => OciLayout.Open(layoutPath).FindManifest("v3"));
        Assert.Equal(ErrorCodes.ImageNotFound, error.Code);
        Assert.Contains("v1, v2", error.Message);
    }

    [Fact]
    public void Base_image_for_another_architecture_is_refused()
    {
        var layoutPath = _temp.Combine("layout");
        BuildImage(layoutPath, "one");
        var provider = new LayoutBaseImageProvider(_temp.Path);
        var error = Assert.Throws<OciException>(() => provider.Resolve($"oci:{layoutPath}:v1", Platform.FromRuntimeIdentifier("linux-arm64")));
        Assert.Equal(ErrorCodes.BasePlatformMismatch, error.Code);
        Assert.Contains("single-platform image built for linux/amd64", error.Message);
        Assert.Contains("linux/arm64", error.Message);
    }

    [Theory]
    [InlineData("dir:tag", "dir", "tag")]
    [InlineData("some/dir", "some/dir", null)]
    [InlineData("/abs/dir:v1.0", "/abs/dir", "v1.0")]
    [InlineData("C:/x", "C:/x", null)]
    public void Path_and_tag_split_like_skopeo(string value, string path, string? tag)
    {
        Assert.Equal((path, tag), global::Oci.Build.Graph.ImageLocation.SplitPathAndTag(value));
    }
}
