using System.IO.Compression;
using Oci.Build.IO;
using Oci.Build.Oci;
using Oci.Build.Registry.Transfer;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

/// <summary>
/// A previous image's layer fetched by a fresh runner: the blob lands in a file while the tar inside it is hashed on
/// another thread, through buffers handed over (several times round for a tar larger than all of them together).
/// </summary>
public sealed class LayerDownloadTests : IDisposable
{
    private readonly TempDirectory _temp = new("layer-download");

    [Fact]
    public void A_gzip_layer_lands_in_its_file_and_the_tar_inside_is_measured()
    {
        // 9 MiB, more than the four 1 MiB buffers twice over; random in part, so the blob is not tiny.
        var tar = new byte[9 << 20];
        new Random(3).NextBytes(tar.AsSpan(0, 3 << 20));
        var blob = Gzip(tar);

        var (digest, size) = LayerDownload.Run(new MemoryStream(blob), MediaTypes.OciLayerGzip, _temp.Combine("blob"), long.MaxValue, CancellationToken.None);

        Assert.Equal(Digest.Of(tar), digest);
        Assert.Equal(tar.Length, size);
        Assert.Equal(blob, File.ReadAllBytes(_temp.Combine("blob")));
    }

    [Fact]
    public void A_layer_that_inflates_past_the_limit_stops_one_byte_past_it()
    {
        // 64 MiB of zeros gzip to about 64 KiB: a small decompression bomb.
        var blob = Gzip(new byte[64 << 20]);
        const long limit = (5 << 20) + 123;

        var (_, size) = LayerDownload.Run(new MemoryStream(blob), MediaTypes.OciLayerGzip, _temp.Combine("bomb"), limit, CancellationToken.None);

        Assert.Equal(limit + 1, size);
    }

    [Fact]
    public void A_blob_that_is_not_gzip_is_invalid_data_and_the_hashing_thread_ends()
    {
        var notGzip = new byte[3 << 20];
        new Random(5).NextBytes(notGzip);
        Assert.Throws<InvalidDataException>(() =>
            LayerDownload.Run(new MemoryStream(notGzip), MediaTypes.OciLayerGzip, _temp.Combine("bad"), long.MaxValue, CancellationToken.None));
    }

    [Fact]
    public void The_hand_off_digest_is_the_sha256_of_everything_appended_and_a_producer_that_gives_up_is_not_kept_waiting()
    {
        var content = new byte[(3 << 20) + 17];
        new Random(9).NextBytes(content);
        using (var digest = new HandOffDigest(buffers: 2, bufferSize: 1 << 18))
        {
            for (var offset = 0; offset < content.Length;)
            {
                var buffer = digest.NextBuffer(CancellationToken.None);
                var count = Math.Min(buffer.Length - 5, content.Length - offset);   // buffers not always full
                content.AsSpan(offset, count).CopyTo(buffer);
                digest.Append(buffer, count);
                offset += count;
            }
            Assert.Equal((Digest.Of(content), (long)content.Length), digest.Complete());
        }

        var abandoned = new HandOffDigest(buffers: 2, bufferSize: 16);
        abandoned.Append(abandoned.NextBuffer(CancellationToken.None), 16);
        abandoned.Dispose();   // returns: the hashing thread ended
    }

    private static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(content);
        return output.ToArray();
    }

    public void Dispose() => _temp.Dispose();
}
