using System.Globalization;
using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Cli;

/// <summary>
/// Shows the engine's <see cref="CopyProgress"/> on stderr: bytes, rate and time left, as a bar redrawn in place on a
/// terminal, or as plain lines every few seconds when stderr is redirected (CI logs keep every line a bar would overwrite).
/// Reports come from parallel blob copies; rendering is throttled so a fast copy costs nothing.
/// </summary>
public sealed class ConsoleProgress : IProgress<CopyProgress>, IDisposable
{
    private const int BarWidth = 24;
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly TextWriter _writer;
    private readonly string _label;
    private readonly bool _terminal;
    private readonly TimeProvider _time;
    private readonly long _started;
    private long _lastRender;
    private CopyProgress _latest;
    private CopyProgress? _rendered;
    private int _lineLength;
    private bool _done;

    public ConsoleProgress(TextWriter writer, string label, bool terminal, TimeProvider? time = null)
    {
        _writer = writer;
        _label = label;
        _terminal = terminal;
        _time = time ?? TimeProvider.System;
        _started = _lastRender = _time.GetTimestamp();
    }

    public void Report(CopyProgress value)
    {
        lock (_lock)
        {
            if (_done) return;
            _latest = value;
            var now = _time.GetTimestamp();
            if (_time.GetElapsedTime(_lastRender, now) < (_terminal ? TerminalInterval : PlainInterval)) return;
            _lastRender = now;
            Render(final: false);
        }
    }

    /// <summary>The last state, once: the bar completes its line; redirected output gets a closing summary.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_done) return;
            _done = true;
            if (_latest.BlobsTotal > 0 || _rendered is not null) Render(final: true);
        }
    }

    private void Render(bool final)
    {
        var p = _latest;
        var elapsed = _time.GetElapsedTime(_started);
        var rate = elapsed.TotalSeconds > 0 ? p.BytesDone / elapsed.TotalSeconds : 0;
        var amount = $"{ByteSize.Format(p.BytesDone)} of {ByteSize.Format(p.BytesTotal)}";
        var blobs = string.Create(CultureInfo.InvariantCulture, $"{p.BlobsDone}/{p.BlobsTotal} blobs");
        var speed = ByteSize.Format((long)rate) + "/s";
        var tail = final ? $"in {Duration(elapsed)}" : rate > 0 ? $"{Duration(TimeSpan.FromSeconds((p.BytesTotal - p.BytesDone) / rate))} left" : "";
        if (_terminal)
        {
            var filled = p.BytesTotal > 0 ? (int)(BarWidth * p.BytesDone / p.BytesTotal) : final ? BarWidth : 0;
            var line = $"{_label} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {amount}  {blobs}  {speed}  {tail}".TrimEnd();
            _writer.Write("\r" + line.PadRight(_lineLength));
            _lineLength = line.Length;
            if (final) _writer.WriteLine();
        }
        else
        {
            _writer.WriteLine($"{_label}: {amount} ({Percent(p)}), {blobs}, {speed}, {tail}".TrimEnd(' ', ','));
        }
        _writer.Flush();
        _rendered = p;
    }

    private static string Percent(CopyProgress p) =>
        string.Create(CultureInfo.InvariantCulture, $"{(p.BytesTotal > 0 ? 100.0 * p.BytesDone / p.BytesTotal : 100):F0}%");

    private static string Duration(TimeSpan span) => span.TotalHours >= 1
        ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : span.TotalSeconds >= 10 ? span.ToString(@"m\:ss", CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:F1} s");
}
