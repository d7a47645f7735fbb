using Oci.Build.Registry.Transfer;

namespace Oci.Build.Graph;

/// <summary>
/// Where a copy stands: bytes and blobs done of the totals it will move. Blobs the sink already has, or links, count as
/// done when they are settled, so the bar reaches the total whatever the sink did. The engine reports; a front end
/// (the CLI's bar, a build log) decides how and how often to show it.
/// </summary>
public readonly record struct CopyProgress(long BytesDone, long BytesTotal, int BlobsDone, int BlobsTotal);

/// <summary>Counts bytes as blob streams are read and reports cumulative <see cref="CopyProgress"/>; safe across parallel blobs.</summary>
internal sealed class CopyProgressCounter(IProgress<CopyProgress> progress, long bytesTotal, int blobsTotal)
{
    private long _bytes;
    private int _blobs;

    /// <summary>The blob with its stream counted, so every chunk read moves the bar.</summary>
    public BlobContent Track(BlobContent blob, Action<long> onRead) => blob with
    {
        OpenAsync = async token =>
        {
            var stream = await blob.OpenAsync(token).ConfigureAwait(false);
            return new CountingReadStream(stream, blob.Descriptor.Size, onRead);
        },
    };

    /// <summary>Copies one blob, counting what its stream gives and settling the rest (skipped or linked) when it is done.</summary>
    public async Task<BlobPushResult> PutAsync(BlobContent blob, Func<BlobContent, Task<BlobPushResult>> put)
    {
        long read = 0;
        var result = await put(Track(blob, n =>
        {
            Interlocked.Add(ref read, n);
            Report(n, 0);
        })).ConfigureAwait(false);
        Report(Math.Max(0, blob.Descriptor.Size - Interlocked.Read(ref read)), 1);
        return result;
    }

    public void Start() => progress.Report(new CopyProgress(0, bytesTotal, 0, blobsTotal));

    private void Report(long bytes, int blobs)
    {
        var done = Interlocked.Add(ref _bytes, bytes);
        var count = blobs == 0 ? Volatile.Read(ref _blobs) : Interlocked.Add(ref _blobs, blobs);
        progress.Report(new CopyProgress(Math.Min(done, bytesTotal), bytesTotal, count, blobsTotal));
    }
}
