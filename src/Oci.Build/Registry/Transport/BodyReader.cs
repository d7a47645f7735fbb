using Oci.Build.Oci;

namespace Oci.Build.Registry.Transport;

/// <summary>
/// Reads response bodies under two bounds: a size limit (checked as bytes arrive, so a 4.5 GB error answer costs at
/// most <c>limit</c> bytes of memory and the connection is dropped after that) and an idle limit (a body that sends
/// nothing for <see cref="RegistryTransportOptions.BodyIdleTimeout"/> fails instead of hanging).
/// </summary>
public static class BodyReader
{
    /// <summary>Error bodies larger than this are not read at all: their status line is enough.</summary>
    public const int MaxErrorBody = 64 * 1024;

    /// <summary>A token answer is a few KiB of JSON; anything larger is refused.</summary>
    public const int MaxTokenBody = 1024 * 1024;

    /// <summary>
    /// The whole body, or null when it is larger than <paramref name="limit"/> (declared or actual). Stalls throw
    /// <see cref="BodyStalledException"/>; resets throw what the transport throws (IOException, HttpRequestException).
    /// </summary>
    public static async Task<byte[]?> ReadAsync(HttpResponseMessage response, int limit, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > limit) return null;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var read = await ReadIdleAsync(stream, chunk, idleTimeout, cancellationToken).ConfigureAwait(false);
            if (read == 0) return buffer.ToArray();
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
    }

    /// <summary>One read that fails with <see cref="BodyStalledException"/> when no byte arrives within <paramref name="idleTimeout"/>.</summary>
    public static async ValueTask<int> ReadIdleAsync(Stream stream, Memory<byte> buffer, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(idleTimeout);
        try
        {
            return await stream.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BodyStalledException(idleTimeout);
        }
    }
}

/// <summary>A response body sent nothing for the idle timeout. An IOException, so it counts as a transient failure.</summary>
public sealed class BodyStalledException(TimeSpan idleTimeout)
    : IOException($"the response body sent nothing for {idleTimeout.TotalSeconds:0.#} s")
{
    public TimeSpan IdleTimeout { get; } = idleTimeout;
}
