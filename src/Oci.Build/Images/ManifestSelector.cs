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
        var config = OciDocuments.ReadConfig(configBytes, $"image config {manifest.Config.Digest} of {source.Description}");

        var os = config["os"]?.GetValue<string>();
        var architecture = config["architecture"]?.GetValue<string>();
        if ((os is not null && os != platform.Os) || (architecture is not null && architecture != platform.Architecture))
            throw new OciException(ErrorCodes.ImageNotFound,
                $"{source.Description} is built for {os}/{architecture}, but this build targets {platform}. Choose a base image for {platform}.");
        var diffIds = config["rootfs"]?["diff_ids"]?.AsArray();
        if (diffIds is null || diffIds.Count != manifest.Layers.Count)
            throw new OciException(ErrorCodes.InvalidDocument,
                $"{source.Description}: the config lists {diffIds?.Count ?? 0} diff_ids for {manifest.Layers.Count} layers.");
        return (descriptor, manifest, config);
    }

    private static bool IsAttestation(Descriptor descriptor) =>
        descriptor.Annotation("vnd.docker.reference.type") == "attestation-manifest" || descriptor.Platform?.Os == "unknown";
}
