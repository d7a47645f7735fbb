using System.Diagnostics;
using Oci.Build.Oci;

namespace Oci.Build.Registry.Transfer;

/// <summary>
/// Progress lines for one large blob (bytes so far, total, rate), at most one every <paramref name="interval"/>
/// (default <see cref="Interval"/>), so a slow push of a big layer shows it is alive without flooding the build log.
/// </summary>
public sealed class TransferProgress(IBuildLog log, string verb, Digest digest, long total, TimeSpan? interval = null)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private readonly TimeSpan _interval = interval ?? Interval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastReport;
    private long _done;

    public void Advance(long bytes)
    {
        var done = Interlocked.Add(ref _done, bytes);
        var now = _clock.Elapsed;
        if (now - _lastReport < _interval) return;
        _lastReport = now;
        log.Info($"  {verb} {Short(digest)} {ByteSize.Format(done)} of {ByteSize.Format(total)} ({Rate(done, now)})");
    }

    public void Finish(long bytes) =>
        log.Detail($"  {verb} {Short(digest)} done: {ByteSize.Format(bytes)} in {_clock.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} s ({Rate(bytes, _clock.Elapsed)})");

    public static string Short(Digest digest) => $"{digest.Algorithm}:{digest.Hex[..12]}";

    private static string Rate(long bytes, TimeSpan elapsed) =>
        elapsed <= TimeSpan.Zero ? "-" : ByteSize.Format((long)(bytes / elapsed.TotalSeconds)) + "/s";
}

/// <summary>A read-only view of a seekable stream's range that reports what flows through it.</summary>
internal sealed class CountingReadStream(Stream inner, long length, Action<long> onRead) : IO.ForwardOnlyReadStream
{
    private long _position;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var max = (int)Math.Min(buffer.Length, length - _position);
        if (max <= 0) return 0;
        var n = inner.Read(buffer[..max]);
        _position += n;
        onRead(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var max = (int)Math.Min(buffer.Length, length - _position);
        if (max <= 0) return 0;
        var n = await inner.ReadAsync(buffer[..max], cancellationToken).ConfigureAwait(false);
        _position += n;
        onRead(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
