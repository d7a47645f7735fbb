using System.Security.Cryptography;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Unit;

/// <summary>A layout as the destination of a copy from the network (`dotnet oci copy docker://... oci:...`).</summary>
public sealed class LayoutSinkTests : IDisposable
{
    private readonly TempDirectory _temp = new("layout-sink");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_blob_from_the_network_is_read_asynchronously_verified_and_kept_only_when_its_digest_matches()
    {
        var bytes = RandomNumberGenerator.GetBytes(3 << 20);
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Of(bytes), Size = bytes.Length };

        // Good bytes, from a stream that can only be read asynchronously (as the copy reads an HTTP response).
        var good = _temp.Combine("good");
        using (var sink = new LayoutSink(good))
        {
            var result = await sink.PutBlobAsync(AsyncOnlyStream.Blob(descriptor, bytes), CancellationToken.None);
            Assert.Equal(BlobOutcome.Uploaded, result.Outcome);
            await sink.CommitAsync(CancellationToken.None);
        }
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(good, "blobs", "sha256", descriptor.Digest.Hex)));

        // The same descriptor, one byte changed on the way: refused at the end of the read, and nothing is left behind.
        var tampered = (byte[])bytes.Clone();
        tampered[tampered.Length / 2] ^= 1;
        var bad = _temp.Combine("bad");
        using (var sink = new LayoutSink(bad))
        {
            var error = await Assert.ThrowsAsync<OciException>(() => sink.PutBlobAsync(AsyncOnlyStream.Blob(descriptor, tampered), CancellationToken.None));
            Assert.Equal(ErrorCodes.DigestMismatch, error.Code);
            Assert.False(sink.HasBlob(descriptor.Digest));
        }
        Assert.False(Directory.Exists(bad));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_temp.Path), e => Path.GetFileName(e).StartsWith(".bad", StringComparison.Ordinal));
    }
}
