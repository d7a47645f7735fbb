using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Registry;

/// <summary>
/// Base images from registries: <c>registry/repository[:tag][@digest]</c>. The manifest (or the index, narrowed to the
/// build's platform) is read from the first location that has it; every blob is pulled into the local content cache.
/// A digest-pinned base whose blobs are all cached is built without touching the network. The base keeps its original
/// name (the one the user wrote) in the image; the log says where it was fetched from.
/// </summary>
public sealed class RegistryBaseImageProvider(RegistryResolver resolver, RegistryContext context, LayerCache cache, IBuildLog log, int parallelism = 3)
    : IBaseImageProvider
{
    public bool Handles(string spec) => IsRegistryReference(spec);

    /// <summary>True for <c>registry/repository[:tag][@digest]</c> (and not for the local <c>oci:</c> / <c>oci-archive:</c> forms).</summary>
    public static bool IsRegistryReference(string spec) =>
        !Graph.ImageLocation.IsLocal(spec) && ImageReference.TryParse(spec, out _, out _);

    public BaseImage Resolve(string spec, Platform platform)
    {
        var reference = ImageReference.Parse(spec);
        var name = resolver.ResolvePull(reference);
        var blobs = new RegistryBlobSource(name, context, cache, log);

        Descriptor root;
        var from = "the local cache";
        if (reference.Digest is { } pinned && blobs.TryGetBlobPath(pinned) is { } cached)
        {
            // Pinned and cached: the digest is the trust anchor, so the cached bytes are as good as the registry's.
            var content = File.ReadAllBytes(cached);
            if (Digest.Of(content) != pinned)
                throw new OciException(ErrorCodes.DigestMismatch, $"The cached manifest {pinned} is corrupt; delete '{cached}' and build again.");
            root = new Descriptor { MediaType = ManifestDocument.DetectMediaType(content), Digest = pinned, Size = content.Length };
            log.Detail($"Base image {reference}: manifest from the local cache");
        }
        else
        {
            (root, var location) = FetchRoot(reference, name, blobs);
            from = location.ToString();
        }

        var (descriptor, manifest, config) = ManifestSelector.Select(blobs, root, platform);
        blobs.PrefetchAsync(manifest.Layers, parallelism, CancellationToken.None).GetAwaiter().GetResult();
        log.Info($"Base image {reference} -> {descriptor.Digest} (from {from}{(name.How is null ? "" : ", " + name.How)})");
        return new BaseImage(reference.ToString(), descriptor, manifest, config, blobs);
    }

    private ManifestDocument FetchOne(RegistryLocation location, ImageReference reference) =>
        context.ClientFor(location.Endpoint)
            .GetManifestAsync(location.Repository, reference.ManifestReference, [RegistryScope.Pull(location.Repository)], CancellationToken.None)
            .GetAwaiter().GetResult();

    private (Descriptor, RegistryLocation) FetchRoot(ImageReference reference, ResolvedName name, RegistryBlobSource blobs)
    {
        OciException? last = null;
        foreach (var location in name.Locations)
        {
            try
            {
                var document = FetchOne(location, reference);
                blobs.StoreDocument(document.Content, document.Digest);
                if (location.Endpoint.IsMirror) log.Detail($"Base image {reference}: manifest from mirror {location}");
                return (document.Descriptor, location);
            }
            catch (OciException ex) when (location != name.Locations[^1] && ex.Code is not ErrorCodes.RegistryDigestMismatch)
            {
                log.Detail($"Base image {reference}: {location} failed ({ex.Code}); trying the next location");
                last = ex;
            }
            catch (OciException ex) when (ex.Code == ErrorCodes.RegistryUnreachable && reference.Digest is not null)
            {
                throw new OciException(ErrorCodes.RegistryOffline,
                    $"Base image {reference} is not in the local cache and {location.Endpoint.Host} cannot be reached. Build once with network access to cache it.", ex);
            }
        }
        throw last!;
    }
}
