using System.IO.Pipelines;
using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Registry.Transfer;

/// <summary>
/// Downloads a compressed layer blob into a file and learns, as it arrives, the digest and size of the tar inside it: the
/// check that lets a build reuse a registry's layer for a tar it made itself. Three stages on their own threads: the
/// download (the registry stream checks the blob's digest at its end) writes the blob to the file and to a bounded pipe;
/// the decompression reads the pipe and hands its buffers to the tar's hash (<see cref="HandOffDigest"/>). One thread
/// doing all three took a third longer.
/// </summary>
public static class LayerDownload
{
    private static readonly PipeOptions Bounded = new(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, useSynchronizationContext: false);

    /// <param name="remote">The blob as the registry serves it, checking its digest at its end.</param>
    /// <param name="maximumTarSize">At most one byte past this is decompressed: a decompression bomb stops there, and the
    /// size returned then says so (the rest of the blob is neither read nor checked).</param>
    /// <exception cref="InvalidDataException">The blob is not of its compression.</exception>
    public static (Digest TarDigest, long TarSize) Run(Stream remote, string mediaType, string file, long maximumTarSize, CancellationToken cancellationToken)
    {
        using var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var pipe = new Pipe(Bounded);
        var download = Task.Run(() => Download(remote, output, pipe.Writer, cancellationToken), CancellationToken.None);
        (Digest, long) tar;
        try
        {
            using var compressed = pipe.Reader.AsStream(leaveOpen: true);
            using (var plain = LayerCompression.Decompress(mediaType, new NonClosingReadStream(compressed)))
                tar = Inflate(plain, maximumTarSize, cancellationToken);
            // The rest of the blob (a gzip trailer, padding), so that the download reaches the digest check at its end.
            if (tar.Item2 <= maximumTarSize) compressed.CopyTo(Stream.Null);
        }
        finally
        {
            // A reader that stopped early tells the download to stop; either way it is finished before the file is used.
            pipe.Reader.Complete();
            download.ContinueWith(_ => { }, TaskScheduler.Default).Wait();
        }
        download.GetAwaiter().GetResult();
        return tar;
    }

    /// <summary>The download stage: the blob into the file and the pipe, until its end or the reader stops.</summary>
    private static async Task Download(Stream remote, FileStream file, PipeWriter pipe, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var memory = pipe.GetMemory(1 << 17);
                var read = await remote.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                await file.WriteAsync(memory[..read], cancellationToken).ConfigureAwait(false);
                pipe.Advance(read);
                if ((await pipe.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted) break;
            }
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            await pipe.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The reader sees the failure (a digest mismatch, a broken connection) as its own.
            await pipe.CompleteAsync(ex).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The decompression stage, handing the tar to the hash stage; stops one byte past <paramref name="maximumTarSize"/>.</summary>
    private static (Digest, long) Inflate(Stream plain, long maximumTarSize, CancellationToken cancellationToken)
    {
        using var tar = new HandOffDigest();
        long inflated = 0;
        while (inflated <= maximumTarSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var buffer = tar.NextBuffer(cancellationToken);
            // Up to one byte past the limit (written so that a limit of long.MaxValue does not overflow).
            var left = maximumTarSize - inflated;
            var wanted = left >= buffer.Length ? buffer.Length : (int)left + 1;
            var filled = plain.ReadAtLeast(buffer.AsSpan(0, wanted), wanted, throwOnEndOfStream: false);
            if (filled == 0) break;
            tar.Append(buffer, filled);
            inflated += filled;
        }
        return tar.Complete();
    }

    /// <summary>The decompressor owns its input; the download underneath is still read to its end afterwards.</summary>
    private sealed class NonClosingReadStream(Stream inner) : ForwardOnlyReadStream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);
    }
}
