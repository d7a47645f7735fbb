using Oci.Build.Store;
using Oci.Build.Graph;
using Oci.Build.Images;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Registry;

/// <summary>
/// Base images from registries: <c>registry/repository[:tag][@digest]</c>. The manifest (or the index, narrowed to the
/// build's platform) is read from the first location that has it; the image is then copied into the local content
/// store (<see cref="ImageCopier"/>: verified, parallel, skipping what is there) and built from there. A digest-pinned
/// base whose blobs are all stored is built without touching the network. The base keeps its original name (the one
/// the user wrote) in the image; the log says where it was fetched from.
/// </summary>
public sealed class RegistryBaseImageProvider(RegistryResolver resolver, RegistryContext context, ContentStore cache, IBuildLog log, int parallelism = 3)
    : IBaseImageProvider
{
    public bool Handles(string spec) => IsRegistryReference(spec);

    /// <summary>True for <c>registry/repository[:tag][@digest]</c> (and not for the local <c>oci:</c> / <c>oci-archive:</c> forms).</summary>
    public static bool IsRegistryReference(string spec) => !ImageLocation.IsLocal(spec) && ImageReference.TryParse(spec, out _, out _);

    public BaseImage Resolve(string spec, Platform platform, CancellationToken cancellationToken = default)
    {
        var reference = ImageReference.Parse(spec);
        var name = resolver.ResolvePull(reference);
        var description = name.Primary.ToString() == $"{name.Original.Registry}/{name.Original.Repository}"
            ? name.Original.Name
            : $"{name.Original.Name} (at {name.Primary})";
        var remote = new RegistrySource(name.Locations.Select(l => new RegistryRepository(context.ClientFor(l.Endpoint), l.Repository)).ToList(), log, description);
        var store = new ContentStoreSource(cache, description);
        var sink = new ContentStoreSink(cache, log);
        using var source = new StoreFirstSource(remote, store, sink);

        Descriptor root;
        string from;
        if (reference.Digest is { } pinned && store.Has(pinned, null))
        {
            // Pinned and stored: the digest is the trust anchor, so the stored bytes are as good as the registry's.
            root = store.ResolveAsync(pinned.ToString(), cancellationToken).GetAwaiter().GetResult();
            from = "the local cache";
            log.Detail($"Base image {reference}: manifest from the local cache");
        }
        else
        {
            (root, from) = FetchRoot(reference, remote, sink, cancellationToken);
        }

        var (descriptor, manifest, config) = ManifestSelector.Select(new ImageSourceBlobs(source), root, platform);
        ImageCopier.CopyAsync(source, sink, [new CopyRoot(descriptor, [])], new CopyOptions { Parallelism = parallelism }, cancellationToken).GetAwaiter().GetResult();
        log.Info($"Base image {reference} -> {descriptor.Digest} (from {from}{(name.How is null ? "" : ", " + name.How)})");
        return new BaseImage(reference.ToString(), descriptor, manifest, config, new ImageSourceBlobs(store));
    }

    private (Descriptor, string) FetchRoot(ImageReference reference, RegistrySource remote, ContentStoreSink sink, CancellationToken cancellationToken)
    {
        try
        {
            var (document, location) = remote.ResolveWithLocationAsync(reference.ManifestReference, cancellationToken).GetAwaiter().GetResult();
            sink.PutManifestAsync(document.Descriptor, document.Content, null, cancellationToken).GetAwaiter().GetResult();
            if (location.Client.Endpoint.IsMirror) log.Detail($"Base image {reference}: manifest from mirror {location}");
            return (document.Descriptor, location.ToString());
        }
        catch (OciException ex) when (ex.Code == ErrorCodes.RegistryUnreachable && reference.Digest is not null)
        {
            throw new OciException(ErrorCodes.RegistryOffline,
                $"Base image {reference} is not in the local cache and {resolver.ResolvePull(reference).Primary.Endpoint.Host} cannot be reached. Build once with network access to cache it.", ex);
        }
    }
}
