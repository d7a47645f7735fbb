namespace Oci.Build.Graph;

/// <summary>
/// Where a copy (or a verification) stands: bytes and blobs done of the totals it will move (or read). Blobs the sink already has, or links, count as
/// done when they are settled, so the bar reaches the total whatever the sink did. The engine reports; a front end
/// (the CLI's bar, a build log) decides how and how often to show it.
/// </summary>
public readonly record struct CopyProgress(long BytesDone, long BytesTotal, int BlobsDone, int BlobsTotal);

/// <summary>
/// One progress for several copies running at once (the images of a bundle): each copy reports its own totals through
/// its <see cref="Part"/>, and the sum of the latest reports is what the receiver sees.
/// </summary>
public sealed class CombinedCopyProgress(IProgress<CopyProgress> progress)
{
    private readonly List<CopyProgress> _parts = [];

    public IProgress<CopyProgress> Part()
    {
        int index;
        lock (_parts)
        {
            index = _parts.Count;
            _parts.Add(default);
        }
        return new PartProgress(this, index);
    }

    // Reported under the lock, so that the receiver sees the sums in the order they were made (never going back).
    private void Report(int index, CopyProgress value)
    {
        lock (_parts)
        {
            _parts[index] = value;
            progress.Report(_parts.Aggregate(default(CopyProgress), (total, part) => new CopyProgress(
                total.BytesDone + part.BytesDone, total.BytesTotal + part.BytesTotal, total.BlobsDone + part.BlobsDone, total.BlobsTotal + part.BlobsTotal)));
        }
    }

    private sealed class PartProgress(CombinedCopyProgress combined, int index) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => combined.Report(index, value);
    }
}

/// <summary>Counts bytes as blob streams are read and reports cumulative <see cref="CopyProgress"/>; safe across parallel blobs.</summary>
internal sealed class CopyProgressCounter(IProgress<CopyProgress> progress, long bytesTotal, int blobsTotal)
{
    private long _bytes;
    private int _blobs;
    private long _bytesTotal = bytesTotal;
    private int _blobsTotal = blobsTotal;

    /// <summary>More blobs to move than first known (what is attached to the images, found while they move).</summary>
    public void Grow(long bytes, int blobs)
    {
        Interlocked.Add(ref _bytesTotal, bytes);
        Interlocked.Add(ref _blobsTotal, blobs);
    }

    /// <summary>The blob with its stream counted, so every chunk read moves the bar.</summary>
    public BlobContent Track(BlobContent blob, Action<long> onRead) => blob with
    {
        OpenAsync = async token =>
        {
            var stream = await blob.OpenAsync(token).ConfigureAwait(false);
            return new ProgressReadStream(stream, onRead);
        },
        OpenSeekable = blob.OpenSeekable is { } open ? () => new ProgressReadStream(open(), onRead) : null,
    };

    /// <summary>
    /// Runs <paramref name="work"/> on one blob (copy it, verify it), counting what its stream gives and settling the rest
    /// (skipped, linked, or failed) when it is done.
    /// </summary>
    public async Task<T> TrackAsync<T>(BlobContent blob, Func<BlobContent, Task<T>> work)
    {
        long read = 0;
        try
        {
            return await work(Track(blob, n =>
            {
                Interlocked.Add(ref read, n);
                Report(n, 0);
            })).ConfigureAwait(false);
        }
        finally
        {
            Report(Math.Max(0, blob.Descriptor.Size - Interlocked.Read(ref read)), 1);
        }
    }

    public void Start() => progress.Report(new CopyProgress(0, Volatile.Read(ref _bytesTotal), 0, Volatile.Read(ref _blobsTotal)));

    private void Report(long bytes, int blobs)
    {
        var done = Interlocked.Add(ref _bytes, bytes);
        var count = blobs == 0 ? Volatile.Read(ref _blobs) : Interlocked.Add(ref _blobs, blobs);
        var total = Volatile.Read(ref _bytesTotal);
        progress.Report(new CopyProgress(Math.Min(done, total), total, count, Volatile.Read(ref _blobsTotal)));
    }
}

/// <summary>
/// Passes every read through unchanged, the final zero-byte read included (a source's verifying stream checks the digest
/// on that read: a wrapper that stopped at the declared size would skip the check), and reports the bytes it saw.
/// Seekable when the inner stream is (an upload resuming from an offset).
/// </summary>
internal sealed class ProgressReadStream(Stream inner, Action<long> onRead) : IO.ForwardOnlyReadStream
{
    public override bool CanSeek => inner.CanSeek;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        if (n > 0) onRead(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n > 0) onRead(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
