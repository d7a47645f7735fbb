using Oci.Build.IO;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

/// <summary>
/// An archive member read in place for an upload that resumes: a window over the parts of a split archive, which a
/// chunked upload seeks in.
/// </summary>
public sealed class ReadWindowStreamTests
{
    [Fact]
    public void A_window_across_part_files_reads_only_its_bytes_and_seeks_within_them()
    {
        using var temp = new TempDirectory("window");
        var whole = new byte[3000];
        new Random(7).NextBytes(whole);
        var parts = new[] { temp.Combine("p1"), temp.Combine("p2"), temp.Combine("p3") };
        File.WriteAllBytes(parts[0], whole[..1000]);
        File.WriteAllBytes(parts[1], whole[1000..2000]);
        File.WriteAllBytes(parts[2], whole[2000..]);

        // Bytes 900..2100: from the end of the first part, through the second, into the third.
        using var window = new ReadWindowStream(new ConcatenatedReadStream(parts), 900, 1200);
        Assert.Equal(1200, window.Length);
        using (var all = new MemoryStream())
        {
            window.CopyTo(all, 64);
            Assert.Equal(whole[900..2100], all.ToArray());
        }
        Assert.Equal(0, window.Read(new byte[10]));

        // A chunk from an offset, as a resumed upload asks: the window's offset 500 is the archive's byte 1400.
        window.Seek(500, SeekOrigin.Begin);
        var chunk = new byte[300];
        window.ReadExactly(chunk);
        Assert.Equal(whole[1400..1700], chunk);
        Assert.Equal(800, window.Position);

        // Reads stop at the window's end, even asked for more; beyond the end there is nothing.
        window.Position = 1150;
        var tail = new byte[200];
        Assert.Equal(50, window.ReadAtLeast(tail, 200, throwOnEndOfStream: false));
        Assert.Equal(whole[2050..2100], tail[..50]);
        window.Position = 5000;
        Assert.Equal(0, window.Read(tail));
    }
}
