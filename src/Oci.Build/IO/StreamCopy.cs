using System.Buffers;

namespace Oci.Build.IO;

/// <summary>Copies between a network stream and a local file the way each side is cheapest to use.</summary>
public static class StreamCopy
{
    /// <summary>
    /// Reads <paramref name="input"/> asynchronously and writes each piece to <paramref name="output"/> synchronously.
    /// A synchronous read of an HTTP response spins (sched_yield) each time the socket has nothing yet, on a core the
    /// registry may need; an asynchronous one waits in epoll. Writes go to the page cache, where a synchronous call is
    /// cheaper than a hop to the thread pool.
    /// </summary>
    public static async Task ReadAsyncWriteSync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 17);
        try
        {
            int n;
            while ((n = await input.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
                output.Write(buffer, 0, n);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
