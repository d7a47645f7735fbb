using System.Text.Json;
using System.Text.Json.Nodes;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>
/// From a descriptor that names a manifest or an index, finds the image for one platform and reads its manifest and
/// config, all verified. Shared by every base image source (layout, archive, registry).
/// </summary>
public static class ManifestSelector
{
    public static (Descriptor Descriptor, ImageManifest Manifest, JsonObject Config) Select(IBlobSource source, Descriptor entry, Platform platform)
    {
        var descriptor = MediaTypes.IsIndex(entry.MediaType) ? FindInIndex(source, entry, platform) : entry;
        if (!MediaTypes.IsManifest(descriptor.MediaType))
            throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description}: {descriptor.Digest} is a '{descriptor.MediaType}', not an image manifest or index.");

        var manifest = OciJson.Deserialize<ImageManifest>(source.ReadManifest(descriptor, "image manifest"), $"image manifest {descriptor.Digest}");
        var configBytes = source.ReadDocument(manifest.Config, "image config");
        var config = OciDocuments.ReadConfig(configBytes, $"image config {manifest.Config.Digest} of {source.Description}");

        var os = config["os"]?.GetValue<string>();
        var architecture = config["architecture"]?.GetValue<string>();
        if ((os is not null && os != platform.Os) || (architecture is not null && architecture != platform.Architecture))
        {
            // A single-platform base (no index to choose from) is one image for one platform: publishing another platform on
            // it would put binaries of the wrong architecture under the app. Its own code, as multi-platform output meets it.
            if (descriptor == entry)
                throw new OciException(ErrorCodes.BasePlatformMismatch,
                    $"{source.Description} is a single-platform image built for {os}/{architecture}, but this build targets {platform}. " +
                    $"Use a multi-platform base (an image index with {platform}) or a base built for {platform}, or leave that runtime identifier out of ContainerRuntimeIdentifiers.");
            throw new OciException(ErrorCodes.ImageNotFound,
                $"{source.Description} is built for {os}/{architecture}, but this build targets {platform}. Choose a base image for {platform}.");
        }
        var diffIds = config["rootfs"]?["diff_ids"]?.AsArray();
        if (diffIds is null || diffIds.Count != manifest.Layers.Count)
            throw new OciException(ErrorCodes.InvalidDocument,
                $"{source.Description}: the config lists {diffIds?.Count ?? 0} diff_ids for {manifest.Layers.Count} layers.");
        return (descriptor, manifest, config);
    }

    /// <summary>Depth at which nested indexes are refused: real bases nest one level at most; hostile input must not recurse.</summary>
    private const int MaxIndexDepth = 4;

    /// <summary>
    /// The first manifest for <paramref name="platform"/> in an index, looking into nested indexes (entries that are
    /// indexes, with or without a platform) breadth first. Attestations (unknown/unknown) are never candidates.
    /// </summary>
    private static Descriptor FindInIndex(IBlobSource source, Descriptor root, Platform platform) =>
        FindInIndex(d => source.ReadManifest(d, "image index"), source.Description, root, platform);

    /// <summary>The manifest for <paramref name="platform"/> under an index, reading indexes with <paramref name="readIndex"/>.</summary>
    public static Descriptor FindInIndex(Func<Descriptor, byte[]> readIndex, string description, Descriptor root, Platform platform)
    {
        var offered = new List<Platform>();
        var level = new List<Descriptor> { root };
        var seen = new HashSet<Digest>();
        for (var depth = 0; level.Count > 0; depth++)
        {
            if (depth > MaxIndexDepth)
                throw new OciException(ErrorCodes.InvalidDocument, $"{description}: image indexes nest more than {MaxIndexDepth} deep.");
            var next = new List<Descriptor>();
            foreach (var indexDescriptor in level.Where(d => seen.Add(d.Digest)))
            {
                var index = OciJson.Deserialize<ImageIndex>(readIndex(indexDescriptor), $"image index {indexDescriptor.Digest}");
                foreach (var candidate in index.Manifests.Where(m => !IsAttestation(m)))
                {
                    if (MediaTypes.IsIndex(candidate.MediaType))
                    {
                        if (candidate.Platform is null || candidate.Platform.Satisfies(platform)) next.Add(candidate);
                    }
                    else if (candidate.Platform is { } offers)
                    {
                        if (offers.Satisfies(platform)) return candidate;
                        offered.Add(offers);
                    }
                }
            }
            level = next;
        }
        throw new OciException(ErrorCodes.ImageNotFound,
            $"{description} has no image for {platform}; it offers {(offered.Count == 0 ? "no platforms" : string.Join(", ", offered.Distinct()))}. " +
            "Choose another base image or RuntimeIdentifier.");
    }

    private static bool IsAttestation(Descriptor descriptor) =>
        descriptor.Annotation("vnd.docker.reference.type") == "attestation-manifest" || descriptor.Platform?.Os == "unknown";
}
