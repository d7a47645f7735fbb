using Oci.Build.Store;
using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

public class LayerBuilderTests : IDisposable
{
    private readonly TempDirectory _temp = new("layers");

    public void Dispose() => _temp.Dispose();

    private LayerSpec Spec(string content)
    {
        var file = _temp.Combine("src", "app.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        if (!File.Exists(file) || File.ReadAllText(file) != content) File.WriteAllText(file, content);
        return new LayerSpec("app", [LayerEntry.FromFile("app/app.dll", file)]);
    }

    private LayerBuilder Builder(LayerCompression? compression = null) =>
        new(new ContentStore(_temp.Combine("cache")), compression ?? LayerCompression.Gzip, new TarSettings(0));

    [Fact]
    public void Digest_and_diff_id_describe_the_blob_and_its_uncompressed_tar()
    {
        var layer = Builder().Build(Spec("hello"));
        Assert.Equal(LayerOrigin.Built, layer.Origin);
        Assert.Equal(layer.Descriptor.Digest, Digest.OfFile(layer.BlobPath));
        Assert.Equal(layer.Descriptor.Size, new FileInfo(layer.BlobPath).Length);
        using var tar = LayerCompression.Decompress(layer.Descriptor.MediaType, File.OpenRead(layer.BlobPath));
        Assert.Equal(layer.DiffId, Digest.Of(tar));
    }

    [Fact]
    public void An_unchanged_layer_is_neither_tarred_nor_compressed_again()
    {
        var first = Builder().Build(Spec("hello"));
        var second = Builder().Build(Spec("hello"));
        Assert.Equal(LayerOrigin.Unchanged, second.Origin);
        Assert.Equal(first.Descriptor, second.Descriptor);
    }

    [Fact]
    public void A_touched_but_identical_file_reuses_the_compressed_blob()
    {
        var first = Builder().Build(Spec("hello"));
        File.SetLastWriteTimeUtc(_temp.Combine("src", "app.dll"), DateTime.UtcNow.AddMinutes(5));
        var second = Builder().Build(Spec("hello"));
        Assert.Equal(LayerOrigin.CompressedFromCache, second.Origin);
        Assert.Equal(first.Descriptor.Digest, second.Descriptor.Digest);
    }

    [Fact]
    public void Changed_content_builds_a_new_layer()
    {
        var first = Builder().Build(Spec("hello"));
        var second = Builder().Build(Spec("hello, world"));
        Assert.Equal(LayerOrigin.Built, second.Origin);
        Assert.NotEqual(first.DiffId, second.DiffId);
    }

    [Fact]
    public void A_cache_entry_whose_blob_was_damaged_is_a_miss()
    {
        var first = Builder().Build(Spec("hello"));
        File.WriteAllText(first.BlobPath, "truncated");
        var second = Builder().Build(Spec("hello"));
        Assert.Equal(LayerOrigin.Built, second.Origin);
        Assert.Equal(first.Descriptor.Digest, Digest.OfFile(second.BlobPath));
    }

    [Theory]
    [InlineData("zstd", MediaTypes.OciLayerZstd)]
    [InlineData("none", MediaTypes.OciLayer)]
    public void Other_compressions_round_trip(string name, string mediaType)
    {
        var layer = Builder(LayerCompression.Parse(name)).Build(Spec("hello"));
        Assert.Equal(mediaType, layer.Descriptor.MediaType);
        using var tar = LayerCompression.Decompress(mediaType, File.OpenRead(layer.BlobPath));
        Assert.Equal(layer.DiffId, Digest.Of(tar));
    }

    [Fact]
    public void Unknown_compression_is_a_coded_error()
    {
        Assert.Equal(ErrorCodes.InvalidSetting, Assert.Throws<OciException>(() => LayerCompression.Parse("brotli")).Code);
    }

    [Fact]
    public void Verifying_stream_rejects_content_that_does_not_match()
    {
        var content = "hello"u8.ToArray();
        using var wrong = new VerifyingReadStream(new MemoryStream(content), Digest.Of("other"u8), content.Length, "test blob");
        var error = Assert.Throws<OciException>(() => wrong.CopyTo(Stream.Null));
        Assert.Equal(ErrorCodes.DigestMismatch, error.Code);

        using var right = new VerifyingReadStream(new MemoryStream(content), Digest.Of(content), content.Length, "test blob");
        right.CopyTo(Stream.Null);
    }
}

/// <summary>
/// Alone in its collection (nothing runs beside it), so the process-wide allocation count measures this build only:
/// compression runs on worker threads, which a per-thread count would miss.
/// </summary>
[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationTests;

[Collection(nameof(AllocationTests))]
public class LayerStreamingTests : IDisposable
{
    private readonly TempDirectory _temp = new("layers-1g");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public void A_gigabyte_file_streams_through_tar_hash_and_parallel_compression_in_bounded_memory(string compression)
    {
        var big = _temp.Combine("src", "big.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(big)!);
        using (var file = File.Create(big)) file.SetLength(1L << 30); // sparse: cheap to create, 1 GiB to read
        var spec = new LayerSpec("big", [LayerEntry.FromFile("app/big.bin", big)]);
        var builder = new LayerBuilder(new ContentStore(_temp.Combine("cache")), LayerCompression.Parse(compression), new TarSettings(0));

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var layer = builder.Build(spec);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(LayerOrigin.Built, layer.Origin);
        Assert.True(layer.UncompressedSize > 1L << 30);
        Assert.True(allocated < 64L << 20, $"Building a 1 GiB layer allocated {allocated / (1 << 20)} MiB on all threads; it must stream.");
    }
}
