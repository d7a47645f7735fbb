using System.IO.Compression;
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
    public Stream Compress(Stream output) => Name switch
    {
        "gzip" => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
        "zstd" => new ZstdSharp.CompressionStream(output, level: 3, leaveOpen: true),
        _ => new NonClosingStream(output),
    };

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
