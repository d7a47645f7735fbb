using System.Security.Cryptography;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transfer;
using Oci.Build.Tests.Infrastructure;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>
/// A blob pushed from a source that cannot seek (another registry, as in `dotnet oci copy docker://A docker://B` and
/// relocation across registries): it is spooled to a file first, so that the upload can resume.
/// </summary>
public sealed class RegistrySinkSpoolTests
{
    [Fact]
    public async Task A_blob_from_a_stream_that_cannot_seek_is_spooled_from_asynchronous_reads_only_when_needed_and_only_if_verified()
    {
        using var registry = new RegistryServer();
        using var harness = new EngineHarness();
        using var context = harness.Settings.CreateContext(pushHost: registry.Host, pullHost: null);
        var client = context.ClientFor(new RegistryEndpoint { Host = registry.Host, AllowPlainHttp = true });
        var scopes = new[] { RegistryScope.PushPull("spool/app") };
        // Larger than the harness's monolithic limit: uploaded in chunks, each read again from the spooled file.
        var bytes = RandomNumberGenerator.GetBytes(600 << 10);
        var descriptor = Layer(bytes);

        using (var sink = new RegistrySink(client, "spool/app", [], harness.Log, harness.Upload))
        {
            var pushed = await sink.PutBlobAsync(AsyncOnlyStream.Blob(descriptor, bytes), CancellationToken.None);
            Assert.Equal(BlobOutcome.Uploaded, pushed.Outcome);
            // The registry has it now: the HEAD says so, and the content is not even opened.
            var again = await sink.PutBlobAsync(new BlobContent(descriptor, _ => throw new InvalidOperationException("opened"), null), CancellationToken.None);
            Assert.Equal(BlobOutcome.Existed, again.Outcome);

            // One byte changed on the way: refused while spooling, before any of it is sent.
            var other = RandomNumberGenerator.GetBytes(300 << 10);
            var otherDescriptor = Layer(other);
            other[^1] ^= 1;
            var error = await Assert.ThrowsAsync<OciException>(() => sink.PutBlobAsync(AsyncOnlyStream.Blob(otherDescriptor, other), CancellationToken.None));
            Assert.Equal(ErrorCodes.DigestMismatch, error.Code);
            Assert.False(await client.BlobExistsAsync("spool/app", otherDescriptor.Digest, scopes, CancellationToken.None));
        }

        await using var stored = await client.OpenBlobAsync("spool/app", descriptor, scopes, CancellationToken.None);
        var copy = new MemoryStream();
        await stored.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    private static Descriptor Layer(byte[] bytes) => new() { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Of(bytes), Size = bytes.Length };
}
