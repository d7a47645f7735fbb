using Oci.Build.Tests.Infrastructure;
using System.Globalization;
using System.Text.RegularExpressions;
using Oci.Build.Oci;
using Oci.Build.Registry.Transfer;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// Progress of large blob uploads in the build log: the lines' shape (bytes so far, total, rate), not their timing.
/// The interval between lines is set to zero so a quick local push shows every line a slow one would.
/// </summary>
public sealed class PushProgressTests
{
    private const string Size = @"\d+ B|\d+\.\d KiB|\d+\.\d MiB";

    [Fact]
    public void A_large_blob_push_logs_bytes_total_and_rate_and_a_small_blob_logs_none()
    {
        using var harness = new EngineHarness();
        harness.Upload = harness.Upload with { ProgressInterval = TimeSpan.Zero }; // threshold 256 KiB, chunks of 128 KiB
        using var registry = new RegistryServer();
        var layout = harness.Combine("base");
        TestImages.Base(harness.Work, layout, harness.Cache, 600 * 1024);

        var result = harness.Push(layout, registry.Host, "lib/progress", "1");

        var layer = Assert.Single(result.Push.Blobs, b => b.Descriptor.Size > 256 * 1024).Descriptor;
        var config = Assert.Single(result.Push.Blobs, b => b.Descriptor.Size < 256 * 1024).Descriptor;
        var lines = harness.Log.Lines.Where(l => l.Contains("pushing " + TransferProgress.Short(layer.Digest), StringComparison.Ordinal)).ToList();

        var total = ByteSize.Format(layer.Size);
        var progress = new Regex($@"^info:   pushing {TransferProgress.Short(layer.Digest)} (?<done>{Size}) of {Regex.Escape(total)} \((?:{Size})/s\)$");
        var done = new Regex($@"^detail:   pushing {TransferProgress.Short(layer.Digest)} done: {Regex.Escape(total)} in \d+\.\d s \((?:{Size})/s\)$");
        var progressLines = lines.Select(l => progress.Match(l)).Where(m => m.Success).ToList();
        Assert.True(progressLines.Count >= 2, string.Join("\n", lines));
        Assert.Single(lines, l => done.IsMatch(l));
        Assert.Equal(lines.Count, progressLines.Count + 1); // no line of another shape

        // Bytes so far only grow, and never pass the total (a fresh upload: no resume here).
        var sent = progressLines.Select(m => Bytes(m.Groups["done"].Value)).ToList();
        Assert.Equal(sent.Order(), sent);
        Assert.True(sent[^1] <= layer.Size && sent[^1] > sent[0], string.Join(", ", sent));

        // A blob below the threshold gets no progress line at all.
        Assert.DoesNotContain(harness.Log.Lines, l => l.Contains("pushing " + TransferProgress.Short(config.Digest), StringComparison.Ordinal));
    }

    private static double Bytes(string size)
    {
        var parts = size.Split(' ');
        var value = double.Parse(parts[0], CultureInfo.InvariantCulture);
        return parts[1] switch { "KiB" => value * 1024, "MiB" => value * 1024 * 1024, _ => value };
    }
}
