using System.Text.Json;
using Oci.Build.Graph;
using Oci.Build.Images;
using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Hardening;

/// <summary>
/// Layouts under concurrent use (issue 13): index.json is the commit point, writers of one layout take turns through a
/// lock other processes see, and a folder that is not a layout is never written into.
/// </summary>
public class ConcurrentLayoutTests : IDisposable
{
    private readonly TempDirectory _temp = new("concurrent-layout");

    public void Dispose() => _temp.Dispose();

    private ImageResult Build(string layoutPath, string content)
    {
        var file = _temp.Combine("files", content, "hello.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content);
        var settings = new ImageSettings
        {
            Repository = "test/hello", Tags = ["v1"], Platform = Platform.FromRuntimeIdentifier("linux-x64"),
            Created = DateTimeOffset.UnixEpoch, Entrypoint = ["/hello"],
        };
        return TestImages.Files([LayerEntry.FromFile("hello.txt", file)], settings, layoutPath, _temp.Combine("cache", content));
    }

    private static HashSet<string> BlobNames(string layoutPath) =>
        Directory.GetFiles(Path.Combine(layoutPath, "blobs", "sha256")).Select(f => Path.GetFileName(f)!).ToHashSet();

    [Fact]
    public async Task Four_writers_of_one_layout_at_once_all_finish_and_leave_one_whole_image()
    {
        var layoutPath = _temp.Combine("layout");
        var contents = new[] { "one", "two", "three", "four" };
        var results = await Task.WhenAll(contents.Select(c => Task.Run(() =>
            Enumerable.Range(0, 3).Select(_ => Build(layoutPath, c)).Last())));

        var layout = OciLayout.Open(layoutPath);
        var entry = Assert.Single(layout.Index.Manifests);
        var winner = Assert.Single(results, r => r.Manifest.Digest == entry.Digest);
        using var source = new LayoutSource(layout);
        var verification = await ImageVerifier.VerifyAsync(source, [entry]);
        Assert.True(verification.IsValid, string.Join("; ", verification.Problems.Select(p => p.Message)));
        // Exactly the last commit's blobs: nothing of the other writers, no temp files of anyone.
        var expected = new[] { winner.Manifest.Digest, winner.Config.Digest }.Concat(winner.Layers.Select(l => l.Descriptor.Digest)).Select(d => d.Hex).ToHashSet();
        Assert.Equal(expected, BlobNames(layoutPath));
        Assert.Empty(Directory.GetDirectories(_temp.Path, ".layout.staging-*"));
    }

    [Fact]
    public async Task A_reader_polling_during_rewrites_never_finds_index_json_missing_or_naming_a_missing_blob()
    {
        var layoutPath = _temp.Combine("layout");
        Build(layoutPath, "a");
        using var stop = new CancellationTokenSource();
        var observations = 0;
        var reader = Task.Run(() =>
        {
            var indexFile = Path.Combine(layoutPath, OciLayout.IndexFileName);
            while (!stop.IsCancellationRequested)
            {
                var before = File.ReadAllBytes(indexFile);   // throws (failing the test) if a rewrite left no index.json
                var index = JsonSerializer.Deserialize<ImageIndex>(before, OciJson.Options)!;
                foreach (var manifest in index.Manifests)
                {
                    if (File.Exists(Path.Combine(layoutPath, "blobs", "sha256", manifest.Digest.Hex))) continue;
                    // Removed after a newer commit is fine (this reader's view is stale); missing while named is not.
                    Assert.NotEqual(before, File.ReadAllBytes(indexFile));
                }
                observations++;
            }
        });
        for (var round = 0; round < 20; round++) Build(layoutPath, round % 2 == 0 ? "b" : "a");
        await stop.CancelAsync();
        await reader;
        Assert.True(observations > 20, $"the reader looked only {observations} times");
    }

    [Fact]
    public async Task The_writer_lock_is_an_flock_other_processes_see_and_it_goes_with_its_holder()
    {
        var layoutPath = _temp.Combine("layout");
        var lockFile = OutputLock.PathFor(layoutPath);
        using (OciLayoutWriter.Create(layoutPath))
        {
            // util-linux flock(1) is another process: -n fails at once while the lock is held.
            var held = ProcessRunner.Run("flock", "-n", lockFile, "true");
            Assert.Equal(1, held.ExitCode);
        }
        Assert.Equal(0, ProcessRunner.Run("flock", "-n", lockFile, "true").ExitCode);

        // A process holding it makes a writer wait, and give up with a coded error at the timeout.
        using var holder = System.Diagnostics.Process.Start("flock", [lockFile, "sleep", "30"]);
        try
        {
            Assert.True(SpinWait.SpinUntil(() => ProcessRunner.Run("flock", "-n", lockFile, "true").ExitCode == 1, TimeSpan.FromSeconds(10)));
            var error = Assert.Throws<OciException>(() => OutputLock.Acquire(layoutPath, TimeSpan.FromMilliseconds(300)));
            Assert.Equal(ErrorCodes.OutputLocked, error.Code);
            var waiting = Task.Run(() => Build(layoutPath, "late"));
            Assert.NotSame(waiting, await Task.WhenAny(waiting, Task.Delay(500)));   // the writer waits its turn
            Assert.False(Directory.Exists(layoutPath));
            holder.Kill(entireProcessTree: true);   // flock's child (sleep) holds the lock too
            holder.WaitForExit();
            await waiting.WaitAsync(TimeSpan.FromSeconds(30));   // the holder is gone, so is its lock
        }
        finally
        {
            if (!holder.HasExited) holder.Kill(entireProcessTree: true);
        }
        Assert.True(OciLayout.Exists(layoutPath));
    }

    [Fact]
    public void A_folder_that_is_not_a_layout_or_a_file_is_refused_and_left_as_it_was()
    {
        var folder = _temp.Combine("photos");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "holiday.jpg"), "precious");
        var error = Assert.Throws<OciException>(() => Build(folder, "x"));
        Assert.Equal(ErrorCodes.LayoutOutputNotOurs, error.Code);
        Assert.Equal(["holiday.jpg"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));

        var file = _temp.Combine("notes.txt");
        File.WriteAllText(file, "mine");
        Assert.Equal(ErrorCodes.LayoutOutputNotOurs, Assert.Throws<OciException>(() => Build(file, "x")).Code);
        Assert.Equal("mine", File.ReadAllText(file));

        var empty = _temp.Combine("empty");
        Directory.CreateDirectory(empty);
        Build(empty, "x");   // an empty folder is fine
        Assert.True(OciLayout.Exists(empty));
    }
}
