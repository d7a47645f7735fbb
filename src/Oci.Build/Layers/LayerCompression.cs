using System.IO.Compression;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Layers;

/// <summary>How layer tars are stored: the media type and the compressing stream that goes with it.</summary>
public sealed record LayerCompression(string Name, string MediaType)
{
    public static readonly LayerCompression Gzip = new("gzip", MediaTypes.OciLayerGzip);
    public static readonly LayerCompression Zstd = new("zstd", MediaTypes.OciLayerZstd);
    public static readonly LayerCompression None = new("none", MediaTypes.OciLayer);

    public static LayerCompression Parse(string? name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "gzip" => Gzip,
        "zstd" => Zstd,
        "none" => None,
        _ => throw new OciException(ErrorCodes.InvalidSetting, $"ContainerLayerCompression '{name}' is not supported: use gzip, zstd or none."),
    };

    /// <summary>A stream that compresses into <paramref name="output"/> (left open).</summary>
    /// <param name="workers">Threads that compress at once (0: one per core). The bytes written never depend on it.</param>
    public Stream Compress(Stream output, int workers = 0) => Name switch
    {
        "gzip" => new ParallelGzipStream(output, CompressionLevel.Optimal, workers, leaveOpen: true),
        "zstd" => ZstdStream(output, workers),
        _ => new NonClosingStream(output),
    };

    private static ZstdSharp.CompressionStream ZstdStream(Stream output, int workers)
    {
        var stream = new ZstdSharp.CompressionStream(output, level: 3, leaveOpen: true);
        // zstd's streaming multithreaded mode writes the same bytes for any number of workers >= 1 (unlike 0, its
        // single-threaded mode), so the worker count is never 0 and may follow the machine without changing digests.
        stream.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, workers > 0 ? workers : ParallelGzipStream.DefaultWorkers);
        return stream;
    }

    /// <summary>A stream that decompresses <paramref name="input"/> (taking ownership of it).</summary>
    public static Stream Decompress(string mediaType, Stream input)
    {
        if (mediaType.EndsWith("+gzip", StringComparison.Ordinal) || mediaType.EndsWith(".tar.gzip", StringComparison.Ordinal))
            return new GZipStream(input, CompressionMode.Decompress);
        if (mediaType.EndsWith("+zstd", StringComparison.Ordinal))
            return new ZstdSharp.DecompressionStream(input);
        return input;
    }

    /// <summary>"No compression": writes straight through, and disposing it leaves the output open like the real compressors.</summary>
    private sealed class NonClosingStream(Stream inner) : IO.ForwardOnlyWriteStream
    {
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override void Flush() => inner.Flush();
    }
}
