using Oci.Build.Cli;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Cli;

/// <summary>
/// Progress: the copy engine reports bytes and blobs through <see cref="IProgress{T}"/> (it knows nothing of consoles),
/// and the CLI draws them as a bar on a terminal or as periodic plain lines in a log, on a clock the test moves.
/// </summary>
public sealed class ProgressTests
{
    [Fact]
    public async Task The_copy_engine_reports_growing_totals_that_end_at_every_byte_and_blob_of_the_image()
    {
        using var temp = new TempDirectory("progress");
        var layout = temp.Combine("image");
        TestImages.Base(temp.Path, layout, temp.Combine("cache"), 256 * 1024);
        var reports = new List<CopyProgress>();
        var recorder = new Recorder(reports);
        using var source = new LayoutSource(OciLayout.Open(layout));
        var root = await source.ResolveAsync("1", CancellationToken.None);
        using (var sink = new LayoutSink(temp.Combine("copy")))
            await ImageCopier.CopyAsync(source, sink, [new CopyRoot(root, ["1"])], new CopyOptions { Progress = recorder });

        var manifest = OciDocuments.ReadManifest(await source.ReadManifestAsync(root, CancellationToken.None), "manifest");
        var total = manifest.Config.Size + manifest.Layers.Sum(l => l.Size);
        Assert.All(reports, r => Assert.Equal((total, 2), (r.BytesTotal, r.BlobsTotal)));
        Assert.Equal(new CopyProgress(total, total, 2, 2), reports[^1]);
        Assert.True(reports.Count > 3, "the 256 KiB layer is read in chunks, each one reported");
        Assert.Equal(reports.Select(r => r.BytesDone).Order(), reports.Select(r => r.BytesDone)); // never goes back
    }

    [Fact]
    public void On_a_terminal_the_bar_is_redrawn_in_place_with_rate_and_time_left()
    {
        var clock = new ManualClock();
        var writer = new StringWriter();
        using (var progress = new ConsoleProgress(writer, "copying", terminal: true, clock))
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            progress.Report(new CopyProgress(1 << 20, 4 << 20, 1, 4));
            progress.Report(new CopyProgress(2 << 20, 4 << 20, 2, 4)); // within 100 ms of the last draw: not drawn
            clock.Advance(TimeSpan.FromSeconds(1));
            progress.Report(new CopyProgress(4 << 20, 4 << 20, 4, 4));
        }
        var draws = writer.ToString().Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, draws.Length); // two reports drawn, then the final state
        Assert.StartsWith("copying [######..................] 1.0 MiB of 4.0 MiB  1/4 blobs  1.0 MiB/s  3.0 s left", draws[0]);
        Assert.StartsWith("copying [########################] 4.0 MiB of 4.0 MiB  4/4 blobs  2.0 MiB/s", draws[1]);
        Assert.EndsWith(Environment.NewLine, draws[2]); // the bar ends its line
        Assert.EndsWith("in 2.0 s", draws[2].TrimEnd()); // padded over the longer line it replaces
    }

    [Fact]
    public void In_a_log_a_plain_line_appears_every_few_seconds_and_once_at_the_end()
    {
        var clock = new ManualClock();
        var writer = new StringWriter();
        using (var progress = new ConsoleProgress(writer, "copying", terminal: false, clock))
        {
            progress.Report(new CopyProgress(0, 10 << 20, 0, 2));
            clock.Advance(TimeSpan.FromSeconds(1));
            progress.Report(new CopyProgress(1 << 20, 10 << 20, 0, 2)); // too soon for a log line
            clock.Advance(ConsoleProgress.PlainInterval);
            progress.Report(new CopyProgress(6 << 20, 10 << 20, 1, 2));
            clock.Advance(TimeSpan.FromSeconds(1));
            progress.Report(new CopyProgress(10 << 20, 10 << 20, 2, 2));
        }
        var lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["copying: 6.0 MiB of 10.0 MiB (60%), 1/2 blobs, 1.0 MiB/s, 4.0 s left", "copying: 10.0 MiB of 10.0 MiB (100%), 2/2 blobs, 1.4 MiB/s, in 7.0 s"], lines);
    }

    private sealed class Recorder(List<CopyProgress> reports) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }

    /// <summary>A clock that moves only when the test says (no sleeps).</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }
}
