using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Store;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

public sealed class BuildResultFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_build_result_travels_as_data_and_a_damaged_or_foreign_file_is_OCI1093()
    {
        var file = _temp.Combine("files", "x.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "x");
        var layer = new LayerBuilder(new ContentStore(_temp.Combine("cache")), LayerCompression.Gzip, new TarSettings(0))
            .Build(new LayerSpec("app", [LayerEntry.FromFile("x.txt", file)]));
        var settings = new ImageSettings { Repository = "t/x", Tags = ["v1", "latest"], Platform = Platform.FromRuntimeIdentifier("linux-arm64"), Created = DateTimeOffset.UnixEpoch };
        ImageResult built;
        using (var scratchBase = BaseImage.Scratch())
            built = ImageBuilder.Build(scratchBase, [layer], settings, _temp.Combine("layout"));

        var path = _temp.Combine("obj", "oci-image.result.json");
        BuildResultFile.Write(path, built);
        var read = BuildResultFile.ReadImage(path);
        Assert.Equal(built.Manifest, read.Manifest);
        Assert.Equal(built.Config, read.Config);
        Assert.Equal(built.Tags, read.Tags);
        Assert.Equal(built.Platform.ToString(), read.Platform.ToString());
        Assert.Equal(built.Layers.Select(l => (l.Name, l.Descriptor, l.DiffId, l.Origin)), read.Layers.Select(l => (l.Name, l.Descriptor, l.DiffId, l.Origin)));

        Assert.False(read.Encrypted);
        // An encrypted image's result keeps the digest its decryption gives back.
        BuildResultFile.Write(path, built with { PlaintextManifestDigest = Digest.Of("m"u8).ToString() });
        Assert.Equal(Digest.Of("m"u8).ToString(), BuildResultFile.ReadImage(path).PlaintextManifestDigest);
        Assert.True(BuildResultFile.ReadImage(path).Encrypted);

        File.WriteAllText(path, """{"version":2,"image":{}}""");
        Assert.Equal(ErrorCodes.BuildResultUnreadable, Assert.Throws<OciException>(() => BuildResultFile.ReadImage(path)).Code);
        File.WriteAllText(path, """{"version":1,"image":{"name":"t/x"}}""");   // required members missing
        Assert.Equal(ErrorCodes.BuildResultUnreadable, Assert.Throws<OciException>(() => BuildResultFile.ReadImage(path)).Code);
        File.Delete(path);
        Assert.Equal(ErrorCodes.BuildResultUnreadable, Assert.Throws<OciException>(() => BuildResultFile.ReadImage(path)).Code);
    }
}
