using System.Formats.Tar;
using System.Security.Cryptography;
using Oci.Build.Layers;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

public sealed class ReproducibleTarWriterTests
{
    [Fact]
    public async Task A_file_read_asynchronously_from_the_network_gives_the_same_tar_as_one_read_synchronously()
    {
        var content = RandomNumberGenerator.GetBytes((1 << 20) + 123);
        var synchronous = new MemoryStream();
        using (var tar = new ReproducibleTarWriter(synchronous, 315532800))
            tar.WriteFile("./blobs/sha256/a", new MemoryStream(content), content.Length, 0b110_100_100);
        var asynchronous = new MemoryStream();
        using (var tar = new ReproducibleTarWriter(asynchronous, 315532800))
            await tar.WriteFileAsync("./blobs/sha256/a", new AsyncOnlyStream(content), content.Length, 0b110_100_100, CancellationToken.None);

        Assert.Equal(synchronous.ToArray(), asynchronous.ToArray());
        asynchronous.Position = 0;
        using var reader = new TarReader(asynchronous);
        var entry = reader.GetNextEntry()!;
        Assert.Equal(("./blobs/sha256/a", (long)content.Length), (entry.Name, entry.Length));
        var read = new MemoryStream();
        entry.DataStream!.CopyTo(read);
        Assert.Equal(content, read.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Content_shorter_or_longer_than_its_size_is_refused(bool fromNetwork)
    {
        var content = RandomNumberGenerator.GetBytes(5000);
        Stream Open() => fromNetwork ? new AsyncOnlyStream(content) : new MemoryStream(content);
        Task Write(long size)
        {
            var tar = new ReproducibleTarWriter(new MemoryStream(), 0);
            return fromNetwork ? tar.WriteFileAsync("f", Open(), size, 0b110_100_100, CancellationToken.None)
                : Task.Run(() => tar.WriteFile("f", Open(), size, 0b110_100_100));
        }

        Assert.Contains("ended after 5000 of 5001 bytes", (await Assert.ThrowsAsync<IOException>(() => Write(5001))).Message);
        Assert.Contains("grew beyond 4999 bytes", (await Assert.ThrowsAsync<IOException>(() => Write(4999))).Message);
    }
}
