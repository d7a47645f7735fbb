using Oci.Build.Store;
using System.IO.Compression;
using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

/// <summary>
/// Block-parallel gzip (and multithreaded zstd): the output is one valid stream that standard tools accept, it decompresses
/// to exactly the input, and its bytes never depend on the number of workers.
/// </summary>
public class ParallelCompressionTests : IDisposable
{
    private readonly TempDirectory _temp = new("pgzip");

    public void Dispose() => _temp.Dispose();

    /// <summary>Compressible but not trivial data (text-like with some noise), so blocks really differ.</summary>
    private static byte[] Data(int length, int seed = 1)
    {
        var random = new Random(seed);
        var words = new[] { "layer", "digest", "manifest", "config", "blob", "runtime", "oci", "tar", "\n", " " };
        var data = new byte[length];
        for (var i = 0; i < length;)
        {
            var word = random.Next(10) == 0 ? [(byte)random.Next(256)] : System.Text.Encoding.ASCII.GetBytes(words[random.Next(words.Length)]);
            var n = Math.Min(word.Length, length - i);
            word.AsSpan(0, n).CopyTo(data.AsSpan(i));
            i += n;
        }
        return data;
    }

    private static byte[] Gzip(byte[] input, int workers, int chunk = 70_000)
    {
        using var output = new MemoryStream();
        using (var gzip = new ParallelGzipStream(output, CompressionLevel.Optimal, workers, leaveOpen: true))
        {
            for (var i = 0; i < input.Length; i += chunk)
                gzip.Write(input, i, Math.Min(chunk, input.Length - i));
        }
        return output.ToArray();
    }

    public static TheoryData<int> Lengths => new()
    {
        0, 1, 1000, ParallelGzipStream.BlockSize - 1, ParallelGzipStream.BlockSize, ParallelGzipStream.BlockSize + 1,
        3 * ParallelGzipStream.BlockSize, 3 * ParallelGzipStream.BlockSize + 12345,
    };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Gzip_accepts_the_stream_and_it_decompresses_to_exactly_the_input(int length)
    {
        var input = Data(length);
        var file = _temp.Combine($"data-{length}.gz");
        File.WriteAllBytes(file, Gzip(input, workers: 3));

        ProcessRunner.Run("gzip", "-t", file).EnsureSuccess("gzip -t");
        var decompressed = _temp.Combine($"data-{length}");
        ProcessRunner.Run("sh", "-c", $"gzip -dc '{file}' > '{decompressed}'").EnsureSuccess("gzip -dc");
        Assert.Equal(input, File.ReadAllBytes(decompressed));

        using var dotnet = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
        using var roundTrip = new MemoryStream();
        dotnet.CopyTo(roundTrip);
        Assert.Equal(input, roundTrip.ToArray());
    }

    [Fact]
    public void The_bytes_do_not_depend_on_the_number_of_workers_or_on_how_the_input_is_split_into_writes()
    {
        var input = Data(5 * ParallelGzipStream.BlockSize + 777, seed: 2);
        var one = Gzip(input, workers: 1);
        Assert.Equal(one, Gzip(input, workers: 2, chunk: 4096));
        Assert.Equal(one, Gzip(input, workers: 7, chunk: 3 * ParallelGzipStream.BlockSize));
    }

    [Fact]
    public void Blocks_cost_little_compression_compared_with_one_single_threaded_stream()
    {
        var input = Data(4 * ParallelGzipStream.BlockSize, seed: 3);
        using var single = new MemoryStream();
        using (var gzip = new GZipStream(single, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(input);
        var parallel = Gzip(input, workers: 2);
        Assert.True(parallel.Length < single.Length * 1.01, $"parallel {parallel.Length} bytes vs single-threaded {single.Length}");
    }

    [Fact]
    public void A_multi_block_gzip_layer_is_a_tar_that_tar_lists_and_its_digests_are_reproducible_across_caches()
    {
        var src = _temp.Combine("src");
        Directory.CreateDirectory(src);
        File.WriteAllBytes(Path.Combine(src, "big.bin"), Data(3 * ParallelGzipStream.BlockSize + 5, seed: 4));
        File.WriteAllBytes(Path.Combine(src, "small.txt"), Data(100, seed: 5));
        var spec = new LayerSpec("app", [
            LayerEntry.FromFile("app/big.bin", Path.Combine(src, "big.bin")),
            LayerEntry.FromFile("app/small.txt", Path.Combine(src, "small.txt")),
        ]);

        var first = new LayerBuilder(new ContentStore(_temp.Combine("cache1")), LayerCompression.Gzip, new TarSettings(0)).Build(spec);
        var second = new LayerBuilder(new ContentStore(_temp.Combine("cache2")), LayerCompression.Gzip, new TarSettings(0)).Build(spec);
        Assert.Equal(LayerOrigin.Built, second.Origin);
        Assert.Equal(first.Descriptor, second.Descriptor);
        Assert.Equal(first.DiffId, second.DiffId);

        var listing = ProcessRunner.Run("tar", "-tzf", first.BlobPath).EnsureSuccess("tar -tzf").StandardOutput;
        Assert.Equal(["app/", "app/big.bin", "app/small.txt"], listing.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var tarFile = _temp.Combine("layer.tar");
        ProcessRunner.Run("sh", "-c", $"gzip -dc '{first.BlobPath}' > '{tarFile}'").EnsureSuccess("gzip -dc");
        Assert.Equal(first.DiffId, Digest.OfFile(tarFile));
        var extracted = _temp.Combine("out");
        Directory.CreateDirectory(extracted);
        ProcessRunner.Run("tar", "-xzf", first.BlobPath, "-C", extracted).EnsureSuccess("tar -xzf");
        Assert.Equal(File.ReadAllBytes(Path.Combine(src, "big.bin")), File.ReadAllBytes(Path.Combine(extracted, "app", "big.bin")));
    }

    [Fact]
    public void Zstd_writes_the_same_bytes_with_one_worker_or_several_and_zstd_accepts_them()
    {
        var input = Data(3 * ParallelGzipStream.BlockSize + 99, seed: 6);
        byte[] Compress(int workers)
        {
            using var output = new MemoryStream();
            using (var zstd = LayerCompression.Zstd.Compress(output, workers)) zstd.Write(input);
            return output.ToArray();
        }
        var one = Compress(1);
        Assert.Equal(one, Compress(3));

        using var decompressed = new MemoryStream();
        using (var zstd = LayerCompression.Decompress(MediaTypes.OciLayerZstd, new MemoryStream(one))) zstd.CopyTo(decompressed);
        Assert.Equal(input, decompressed.ToArray());
    }

    [Fact]
    public void Layers_of_a_plan_are_built_together_and_come_back_in_plan_order()
    {
        var specs = Enumerable.Range(0, 4).Select(i =>
        {
            var file = _temp.Combine("plan", $"f{i}.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, Data(ParallelGzipStream.BlockSize + i, seed: 10 + i));
            return new LayerSpec($"layer{i}", [LayerEntry.FromFile($"app/f{i}.bin", file)]);
        }).ToList();
        var builder = new LayerBuilder(new ContentStore(_temp.Combine("plan-cache")), LayerCompression.Gzip, new TarSettings(0));

        var together = builder.BuildAll(specs);
        Assert.Equal(specs.Select(s => s.Name), together.Select(l => l.Name));
        var alone = specs.Select(s => new LayerBuilder(new ContentStore(_temp.Combine("alone-" + s.Name)), LayerCompression.Gzip, new TarSettings(0)).Build(s));
        Assert.Equal(alone.Select(l => l.Descriptor), together.Select(l => l.Descriptor));
    }
}
