using System.Formats.Tar;
using Oci.Build.Layers;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

public class TarWriterTests : IDisposable
{
    private readonly TempDirectory _temp = new("tar");

    public void Dispose() => _temp.Dispose();

    private string MakeFile(string relative, string content, bool executable = false)
    {
        var path = _temp.Combine("src", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, executable ? (UnixFileMode)0b111_100_100 : (UnixFileMode)0b110_000_000);
        return path;
    }

    private static byte[] Tar(IEnumerable<LayerEntry> entries, long time = 0)
    {
        using var output = new MemoryStream();
        LayerTarBuilder.Write(new LayerSpec("t", entries.ToList()), output, new TarSettings(time));
        return output.ToArray();
    }

    [Fact]
    public void Same_entries_give_the_same_bytes_whatever_their_order_and_file_times()
    {
        var a = MakeFile("a.txt", "alpha");
        var b = MakeFile("dir/b.txt", "beta");
        var first = Tar([LayerEntry.FromFile("app/a.txt", a), LayerEntry.FromFile("app/dir/b.txt", b)]);
        File.SetLastWriteTimeUtc(a, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        var second = Tar([LayerEntry.FromFile("app/dir/b.txt", b), LayerEntry.FromFile("app/a.txt", a)]);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Writes_sorted_entries_with_parents_fixed_time_owner_and_normalized_modes()
    {
        var exe = MakeFile("tool", "#!/bin/sh\n", executable: true);
        var data = MakeFile("z/data.bin", "data");
        var bytes = Tar([LayerEntry.FromFile("app/z/data.bin", data), LayerEntry.FromFile("app/tool", exe)], time: 1700000000);

        using var reader = new TarReader(new MemoryStream(bytes));
        var entries = new List<TarEntry>();
        while (reader.GetNextEntry(copyData: true) is { } entry) entries.Add(entry);

        Assert.Equal(["app/", "app/tool", "app/z/", "app/z/data.bin"], entries.Select(e => e.Name));
        Assert.All(entries, e =>
        {
            Assert.Equal(0, e.Uid);
            Assert.Equal(0, e.Gid);
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), e.ModificationTime);
            Assert.Equal(TarEntryFormat.Ustar, e.Format);
        });
        Assert.Equal((UnixFileMode)0b111_101_101, entries[0].Mode);          // directory 0755
        Assert.Equal((UnixFileMode)0b111_101_101, entries[1].Mode);          // executable 0755
        Assert.Equal((UnixFileMode)0b110_100_100, entries[3].Mode);          // file 0644 (was 0600 on disk)
        Assert.Equal("data", new StreamReader(entries[3].DataStream!).ReadToEnd());
    }

    [Fact]
    public void Long_paths_use_a_pax_header_whose_name_does_not_depend_on_the_process()
    {
        var longName = string.Join('/', Enumerable.Repeat("a-rather-long-directory-name", 12)) + "/file.txt";
        var file = MakeFile("long.txt", "x");
        var bytes = Tar([LayerEntry.FromFile(longName, file)]);

        Assert.DoesNotContain($"PaxHeaders.{Environment.ProcessId}", System.Text.Encoding.ASCII.GetString(bytes));
        using var reader = new TarReader(new MemoryStream(bytes));
        var names = new List<string>();
        while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        Assert.Contains(longName, names);

        // GNU tar agrees.
        var archive = _temp.Combine("long.tar");
        File.WriteAllBytes(archive, bytes);
        var listing = ProcessRunner.Run("tar", "-tf", archive).EnsureSuccess("tar -tf");
        Assert.Contains(longName, listing.StandardOutput);
    }

    [Fact]
    public void Gnu_tar_reads_modes_and_symlinks()
    {
        var file = MakeFile("f", "content");
        var entries = new[]
        {
            LayerEntry.FromFile("app/f", file),
            new LayerEntry { Path = "app/link", Kind = LayerEntryKind.Symlink, LinkTarget = "f" },
            new LayerEntry { Path = "tmp", Kind = LayerEntryKind.Directory, Mode = 0b1_111_111_111 },
        };
        var archive = _temp.Combine("t.tar");
        File.WriteAllBytes(archive, Tar(entries));
        var listing = ProcessRunner.Run("tar", "-tvf", archive).EnsureSuccess("tar -tvf").StandardOutput;
        Assert.Contains("lrwxrwxrwx 0/0", listing);
        Assert.Contains("app/link -> f", listing);
        Assert.Contains("drwxrwxrwt 0/0", listing);
        Assert.Contains("-rw-r--r-- 0/0", listing);
    }

    [Fact]
    public void A_path_given_twice_is_refused()
    {
        var file = MakeFile("f", "x");
        Assert.Throws<InvalidOperationException>(() => Tar([LayerEntry.FromFile("app/f", file), LayerEntry.FromFile("/app/f", file)]));
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("app/../../x")]
    [InlineData("/")]
    public void Paths_that_escape_the_image_root_are_refused(string path)
    {
        Assert.Throws<ArgumentException>(() => LayerEntry.NormalizePath(path));
    }
}
