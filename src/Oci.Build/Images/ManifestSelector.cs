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
        var descriptor = entry;
        for (var depth = 0; MediaTypes.IsIndex(descriptor.MediaType); depth++)
        {
            if (depth > 4)
                throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description}: image indexes nest more than 4 deep.");
            var index = OciJson.Deserialize<ImageIndex>(source.ReadDocument(descriptor, "image index"), $"image index {descriptor.Digest}");
            var candidates = index.Manifests.Where(m => m.Platform is not null && !IsAttestation(m)).ToList();
            descriptor = candidates.FirstOrDefault(m => m.Platform!.Satisfies(platform))
                ?? throw new OciException(ErrorCodes.ImageNotFound,
                    $"{source.Description} has no image for {platform}; it offers {(candidates.Count == 0 ? "no platforms" : string.Join(", ", candidates.Select(m => m.Platform!.ToString())))}. " +
                    "Choose another base image or RuntimeIdentifier.");
        }
        if (!MediaTypes.IsManifest(descriptor.MediaType))
            throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description}: {descriptor.Digest} is a '{descriptor.MediaType}', not an image manifest or index.");

        var manifest = OciJson.Deserialize<ImageManifest>(source.ReadDocument(descriptor, "image manifest"), $"image manifest {descriptor.Digest}");
        var configBytes = source.ReadDocument(manifest.Config, "image config");
        JsonObject config;
        try
        {
            config = JsonNode.Parse(configBytes) as JsonObject
                ?? throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description}: the image config {manifest.Config.Digest} is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description}: the image config {manifest.Config.Digest} is not valid JSON: {ex.Message}", ex);
        }

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

    private static bool IsAttestation(Descriptor descriptor) =>
        descriptor.Annotation("vnd.docker.reference.type") == "attestation-manifest" || descriptor.Platform?.Os == "unknown";
}
