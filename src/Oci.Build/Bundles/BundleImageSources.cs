using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Auth;

namespace Oci.Build.Bundles;

/// <summary>Where a bundle's images are resolved to descriptors: a build's layout, or a registry.</summary>
public static class BundleImageSources
{
    /// <summary>The manifest or index a layout's tag names, as a registry would describe it (no layout annotations).</summary>
    public static Descriptor FromLayout(string layoutPath, string? tag)
    {
        var layout = OciLayout.Open(layoutPath);
        var entry = layout.FindManifest(string.IsNullOrEmpty(tag) ? null : tag);
        if (!layout.HasBlob(entry.Digest))
            throw new OciException(ErrorCodes.BundleImageMissing, $"{layout.Description} names {entry.Digest} but does not hold it.");
        return new Descriptor { MediaType = entry.MediaType, Digest = entry.Digest, Size = entry.Size };
    }

    /// <summary>
    /// Resolves an image the release carries but does not build (ContainerBundleImage) on its registry: the manifest or
    /// index (every platform) it names now, verified against the digest when the reference has one.
    /// </summary>
    public static Descriptor FromRegistry(string reference, RegistrySettings settings, IBuildLog log)
    {
        if (!ImageReference.TryParse(reference, out var parsed, out var error))
            throw new OciException(ErrorCodes.BundleImageUnresolvable, $"ContainerBundleImage: {error}");
        try
        {
            var resolver = settings.CreateResolver(log);
            var name = resolver.ResolvePull(parsed!);
            using var context = settings.CreateContext(pushHost: null, pullHost: name.Primary.Endpoint.Host);
            OciException? last = null;
            foreach (var location in name.Locations)
            {
                try
                {
                    var document = context.ClientFor(location.Endpoint)
                        .GetManifestAsync(location.Repository, parsed!.ManifestReference, [RegistryScope.Pull(location.Repository)], CancellationToken.None)
                        .GetAwaiter().GetResult();
                    log.Info($"Bundle image {reference} -> {document.Digest} ({document.MediaType}, from {location})");
                    return document.Descriptor;
                }
                catch (OciException ex)
                {
                    last = ex;
                }
            }
            throw last ?? new OciException(ErrorCodes.RegistryManifestNotFound, $"No registry location for {reference}.");
        }
        catch (OciException ex) when (ex.Code != ErrorCodes.BundleImageUnresolvable)
        {
            throw new OciException(ErrorCodes.BundleImageUnresolvable,
                $"The bundle image '{reference}' cannot be resolved to a digest ({ex.Code}: {ex.Message}). Check the reference and that its registry is reachable, " +
                "or remove the ContainerBundleImage item.", ex);
        }
    }
}
