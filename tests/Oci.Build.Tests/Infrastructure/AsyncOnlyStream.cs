using Oci.Build.Graph;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Infrastructure;

/// <summary>
/// Stands for an HTTP response body: delivers its bytes in small pieces, each after a yield, and fails a synchronous
/// read, so a test shows that the code under test reads the network asynchronously.
/// </summary>
public sealed class AsyncOnlyStream(byte[] bytes) : ForwardOnlyReadStream
{
    private int _position;

    /// <summary>A blob as a registry serves it: read asynchronously, checked against its descriptor at the end.</summary>
    public static BlobContent Blob(Descriptor descriptor, byte[] bytes) =>
        new(descriptor, _ => Task.FromResult<Stream>(new VerifyingReadStream(new AsyncOnlyStream(bytes), descriptor.Digest, descriptor.Size, "the blob")), null);

    public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("read synchronously");

    public override int Read(Span<byte> buffer) => throw new InvalidOperationException("read synchronously");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        var n = Math.Min(Math.Min(buffer.Length, 64 << 10), bytes.Length - _position);
        bytes.AsMemory(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
