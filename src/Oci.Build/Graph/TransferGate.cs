namespace Oci.Build.Graph;

/// <summary>
/// Admits blob transfers, at most a number at once, the largest waiting first: shared by the copies of several images
/// at the same time (a bundle's), it keeps the total of parallel transfers to what was asked, and the longest transfer
/// of all the images starts first instead of queueing behind another image's small blobs.
/// </summary>
public sealed class TransferGate
{
    private readonly Lock _lock = new();
    // Largest first, then in order of arrival.
    private readonly PriorityQueue<TaskCompletionSource<IDisposable>, (long NegativeSize, long Arrival)> _waiting = new();
    private int _free;
    private long _arrivals;

    public TransferGate(int slots) => _free = Math.Max(1, slots);

    /// <summary>A slot for a transfer of <paramref name="size"/> bytes; disposing it lets the next one in.</summary>
    public Task<IDisposable> EnterAsync(long size, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource<IDisposable> waiter;
        lock (_lock)
        {
            if (_free > 0)
            {
                _free--;
                return Task.FromResult<IDisposable>(new Slot(this));
            }
            waiter = new TaskCompletionSource<IDisposable>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(waiter, (-size, _arrivals++));
        }
        // A cancelled waiter stays queued and is skipped when its turn comes.
        var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
        _ = waiter.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return waiter.Task;
    }

    private void Release()
    {
        lock (_lock)
        {
            while (_waiting.TryDequeue(out var next, out _))
                if (next.TrySetResult(new Slot(this))) return;
            _free++;
        }
    }

    private sealed class Slot(TransferGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
