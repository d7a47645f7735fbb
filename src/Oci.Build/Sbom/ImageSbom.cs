using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Sbom;

public sealed record ImageSbomRequest
{
    public required string LayoutPath { get; init; }
    /// <summary>The image the SBOM is of (GeneratedContainer's ManifestDigest).</summary>
    public required Digest ManifestDigest { get; init; }
    public required string AssetsFile { get; init; }
    public required string TargetFramework { get; init; }
    public string? RuntimeIdentifier { get; init; }
    /// <summary>Runtime packs the publish used (the SDK's ResolvedRuntimePack: id and version).</summary>
    public IReadOnlyList<(string Id, string Version)> RuntimePacks { get; init; } = [];
    public required string AppName { get; init; }
    public string? AppVersion { get; init; }
    public required string ImageName { get; init; }
    public string? ImageTag { get; init; }
}

/// <summary>
/// Makes the SBOM of an image a publish just wrote and attaches it to the image in its layout (a referrer under the
/// referrers tag), from where push, copy, relocation and archives carry it.
/// </summary>
public static class ImageSbom
{
    public static byte[] Attach(ImageSbomRequest request, IBuildLog log)
    {
        var layout = OciLayout.Open(request.LayoutPath);
        var image = layout.FindManifest(request.ManifestDigest.ToString()) with { Annotations = null };
        if (!MediaTypes.IsManifest(image.MediaType))
            throw new OciException(ErrorCodes.SbomUnavailable, $"{layout.Description}: {image.Digest} is not an image manifest; an SBOM is made for each platform's image.");
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(image, "image manifest"), "image manifest");
        // The image's own time (SOURCE_DATE_EPOCH or the reproducible default): the SBOM has no clock of its own.
        var config = OciDocuments.ReadConfig(layout.ReadDocument(manifest.Config, "image config"), "image config");
        var created = config["created"]?.GetValue<string>() is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var parsedCreated) ? parsedCreated : DateTimeOffset.UnixEpoch;
        var components = AssetsFile.Read(request.AssetsFile, request.TargetFramework, request.RuntimeIdentifier).ToList();
        components.AddRange(request.RuntimePacks.DistinctBy(p => p.Id).OrderBy(p => p.Id, StringComparer.Ordinal)
            .Select(p => new SbomComponent(p.Id, p.Version, ComponentKind.RuntimePack)));
        var baseDigest = manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseDigest);
        var inputs = new SbomInputs
        {
            ImageName = request.ImageName,
            ImageTag = request.ImageTag,
            ManifestDigest = image.Digest,
            Created = created,
            AppName = request.AppName,
            AppVersion = request.AppVersion,
            Components = components,
            // A base from a layout or archive has a digest but no name in the annotations.
            BaseName = manifest.Annotations?.GetValueOrDefault(AnnotationKeys.BaseName) ?? (baseDigest is null ? null : "base-image"),
            BaseDigest = Digest.TryParse(baseDigest, out var parsed) ? parsed : null,
        };
        var sbom = SpdxDocument.Write(inputs);
        SbomReferrer.AttachToLayoutAsync(request.LayoutPath, sbom, image, created, CancellationToken.None).GetAwaiter().GetResult();
        log.Info($"SBOM (SPDX 2.3): {components.Count} components of {request.ImageName} {image.Digest}, attached as a referrer ({AttachedObjects.ReferrersTag(image.Digest)})");
        return sbom;
    }
}
