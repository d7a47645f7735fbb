using System.Collections.Concurrent;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry.Auth;

namespace Oci.Build.Registry.Transfer;

/// <summary>One place a repository is served from: a mirror or the registry itself.</summary>
public sealed record RegistryRepository(RegistryClient Client, string Repository)
{
    public override string ToString() => $"{Client.Endpoint.Host}/{Repository}";
}

/// <summary>
/// A registry repository as a source (<c>docker://HOST/REPO[:TAG]</c>): manifests and indexes through
/// <c>/manifests/&lt;digest&gt;</c>, blobs through <c>/blobs/</c>, each checked against its digest and size. With several
/// locations (mirrors first, as registries.conf and hosts.toml order them) each request goes to the first that serves
/// it; a location that lacks it or is down is skipped, one that serves wrong bytes is an error.
/// </summary>
public sealed class RegistrySource : IImageSource
{
    private readonly IReadOnlyList<RegistryRepository> _locations;
    private readonly IBuildLog? _log;
    // The documents resolved so far, by their digest (computed from the bytes served, so these are those bytes): a copy
    // reads the manifest it has just resolved, and asking the registry again would only cost a round trip.
    private readonly ConcurrentDictionary<Digest, byte[]> _resolved = new();

    public RegistrySource(RegistryClient client, string repository) : this([new RegistryRepository(client, repository)])
    {
    }

    public RegistrySource(IReadOnlyList<RegistryRepository> locations, IBuildLog? log = null, string? description = null)
    {
        if (locations.Count == 0) throw new ArgumentException("A registry source needs a location.", nameof(locations));
        _locations = locations;
        _log = log;
        Description = description ?? $"docker://{locations[^1]}";
    }

    public string Description { get; }

    public async Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken) =>
        (await ResolveWithLocationAsync(reference, cancellationToken).ConfigureAwait(false)).Document.Descriptor;

    /// <summary>The document a tag or digest names, with the location that served it (for the log).</summary>
    public Task<(ManifestDocument Document, RegistryRepository Location)> ResolveWithLocationAsync(string? reference, CancellationToken cancellationToken) =>
        FromFirstAsync(reference ?? "latest", async location =>
        {
            var document = await location.Client.GetManifestAsync(location.Repository, reference ?? "latest", Scopes(location), cancellationToken).ConfigureAwait(false);
            _resolved.TryAdd(document.Descriptor.Digest, document.Content);
            return (document, location);
        });

    public Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidDocument, $"The manifest {descriptor.Digest} in {Description} claims {descriptor.Size} bytes; documents over {OciJson.MaxDocumentSize} bytes are refused.");
        if (_resolved.TryGetValue(descriptor.Digest, out var resolved) && resolved.Length == descriptor.Size) return Task.FromResult(resolved);
        return FromFirstAsync(descriptor.Digest.ToString(), async location =>
        {
            // GetManifestAsync checks the digest; the size is the descriptor's other half.
            var document = await location.Client.GetManifestAsync(location.Repository, descriptor.Digest.ToString(), Scopes(location), cancellationToken).ConfigureAwait(false);
            if (document.Content.Length != descriptor.Size)
                throw new OciException(ErrorCodes.RegistryDigestMismatch,
                    $"{location}@{descriptor.Digest} is {document.Content.Length} bytes, but the document that names it says {descriptor.Size}. Nothing was used.");
            return document.Content;
        });
    }

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        FromFirstAsync(descriptor.Digest.ToString(), location => location.Client.OpenBlobAsync(location.Repository, descriptor, Scopes(location), cancellationToken));

    public Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        FromFirstAsync(descriptor.Digest.ToString(), async location =>
            MediaTypes.IsIndex(descriptor.MediaType) || MediaTypes.IsManifest(descriptor.MediaType)
                ? await location.Client.HeadManifestAsync(location.Repository, descriptor.Digest.ToString(), Scopes(location), cancellationToken).ConfigureAwait(false) is not null
                : await location.Client.BlobExistsAsync(location.Repository, descriptor.Digest, Scopes(location), cancellationToken).ConfigureAwait(false));

    public void Dispose()
    {
    }

    private static IReadOnlyList<RegistryScope> Scopes(RegistryRepository location) => [RegistryScope.Pull(location.Repository)];

    private async Task<T> FromFirstAsync<T>(string what, Func<RegistryRepository, Task<T>> fetch)
    {
        foreach (var location in _locations)
        {
            try
            {
                return await fetch(location).ConfigureAwait(false);
            }
            catch (OciException ex) when (location != _locations[^1] && ex.Code is not ErrorCodes.RegistryDigestMismatch)
            {
                // A mirror that lacks the content or is down is skipped; a mirror serving wrong bytes is an error.
                _log?.Detail($"  {location} could not serve {(Digest.TryParse(what, out var digest) ? TransferProgress.Short(digest) : what)} ({ex.Code}); trying the next location");
            }
        }
        throw new InvalidOperationException("unreachable: the last location rethrows");
    }
}
