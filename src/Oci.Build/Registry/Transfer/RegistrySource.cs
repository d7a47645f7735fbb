using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry.Auth;

namespace Oci.Build.Registry.Transfer;

/// <summary>
/// A registry repository as a source (<c>docker://HOST/REPO[:TAG]</c>): manifests and indexes through
/// <c>/manifests/&lt;digest&gt;</c>, blobs through <c>/blobs/</c>, each checked against its digest and size.
/// </summary>
public sealed class RegistrySource(RegistryClient client, string repository) : IImageSource
{
    private readonly IReadOnlyList<RegistryScope> _scopes = [RegistryScope.Pull(repository)];

    public string Description => $"docker://{client.Endpoint.Host}/{repository}";

    public async Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken)
    {
        var document = await client.GetManifestAsync(repository, reference ?? "latest", _scopes, cancellationToken).ConfigureAwait(false);
        return document.Descriptor;
    }

    public async Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidDocument, $"The manifest {descriptor.Digest} in {Description} claims {descriptor.Size} bytes; documents over {OciJson.MaxDocumentSize} bytes are refused.");
        var document = await client.GetManifestAsync(repository, descriptor.Digest.ToString(), _scopes, cancellationToken).ConfigureAwait(false);
        if (document.Content.Length != descriptor.Size)
            throw new OciException(ErrorCodes.RegistryDigestMismatch,
                $"{Description}@{descriptor.Digest} is {document.Content.Length} bytes, but the document that names it says {descriptor.Size}. Nothing was used.");
        return document.Content;
    }

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        client.OpenBlobAsync(repository, descriptor, _scopes, cancellationToken);

    public async Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        MediaTypes.IsIndex(descriptor.MediaType) || MediaTypes.IsManifest(descriptor.MediaType)
            ? await client.HeadManifestAsync(repository, descriptor.Digest.ToString(), _scopes, cancellationToken).ConfigureAwait(false) is not null
            : await client.BlobExistsAsync(repository, descriptor.Digest, _scopes, cancellationToken).ConfigureAwait(false);

    public void Dispose()
    {
    }
}
