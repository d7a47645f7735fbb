using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Sbom;

/// <summary>
/// Attaches an SBOM to an image as an OCI 1.1 referrer: an artifact manifest (<c>artifactType</c>
/// application/spdx+json, the empty config, the SBOM as its one layer, <c>subject</c> = the image), listed in the
/// referrers tag schema's index (tag <c>sha256-HEX</c>) for registries and layouts without the referrers API. An index
/// that already lists other referrers keeps them.
/// </summary>
public static class SbomReferrer
{
    public const string FileName = "sbom.spdx.json";
    private static readonly byte[] EmptyJson = "{}"u8.ToArray();

    public static async Task<AttachedArtifact> CreateAsync(byte[] sbom, Descriptor subject, DateTimeOffset created, IImageSource? existing, CancellationToken cancellationToken)
    {
        var config = InMemoryBlob.Of(EmptyJson, MediaTypes.OciEmptyJson);
        var layer = InMemoryBlob.Of(sbom, SpdxDocument.MediaType);
        layer = layer with { Descriptor = layer.Descriptor.WithAnnotation(AnnotationKeys.Title, FileName) };
        var createdText = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var manifest = new ImageManifest
        {
            ArtifactType = SpdxDocument.MediaType,
            Config = config.Descriptor,
            Layers = [layer.Descriptor],
            Subject = subject with { Annotations = null, Platform = null, ArtifactType = null },
            Annotations = new Dictionary<string, string> { [AnnotationKeys.Created] = createdText },
        };
        var manifestBlob = InMemoryBlob.Of(OciJson.Serialize(manifest), MediaTypes.OciManifest);
        var entry = manifestBlob.Descriptor with { ArtifactType = SpdxDocument.MediaType, Annotations = manifest.Annotations };

        // The referrers tag holds every referrer of the subject: keep the ones already there, replace an SBOM of ours.
        var tag = AttachedObjects.ReferrersTag(subject.Digest);
        var others = new List<Descriptor>();
        if (existing is not null && await existing.TryResolveTagAsync(tag, cancellationToken).ConfigureAwait(false) is { } current && MediaTypes.IsIndex(current.MediaType))
        {
            var index = OciJson.Deserialize<ImageIndex>(await existing.ReadManifestAsync(current with { Annotations = null }, cancellationToken).ConfigureAwait(false), "referrers index");
            others.AddRange(index.Manifests.Where(m => m.ArtifactType != SpdxDocument.MediaType && m.Digest != entry.Digest));
        }
        var referrers = InMemoryBlob.Of(OciJson.Serialize(new ImageIndex { Manifests = [.. others, entry] }), MediaTypes.OciIndex);
        return new AttachedArtifact(tag, referrers, [config, layer], [manifestBlob]);
    }

    /// <summary>Writes the SBOM referrer into a layout beside its image (index.json names the referrers index by its tag).</summary>
    public static async Task AttachToLayoutAsync(string layoutPath, byte[] sbom, Descriptor subject, DateTimeOffset created, CancellationToken cancellationToken)
    {
        using var source = new LayoutSource(OciLayout.Open(layoutPath));
        var artifact = await CreateAsync(sbom, subject, created, source, cancellationToken).ConfigureAwait(false);
        using var sink = new LayoutSink(layoutPath, keepExisting: true);
        await artifact.PutAsync(sink, cancellationToken).ConfigureAwait(false);
        await sink.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The SBOM of an image in any source, found through the referrers tag; null when it has none.</summary>
    public static async Task<byte[]?> FindAsync(IImageSource source, Descriptor image, CancellationToken cancellationToken)
    {
        if (await source.TryResolveTagAsync(AttachedObjects.ReferrersTag(image.Digest), cancellationToken).ConfigureAwait(false) is not { } found) return null;
        var index = OciJson.Deserialize<ImageIndex>(await source.ReadManifestAsync(found with { Annotations = null }, cancellationToken).ConfigureAwait(false), "referrers index");
        foreach (var entry in index.Manifests.Where(m => m.ArtifactType == SpdxDocument.MediaType))
        {
            var manifest = OciJson.Deserialize<ImageManifest>(await source.ReadManifestAsync(entry with { Annotations = null, ArtifactType = null }, cancellationToken).ConfigureAwait(false), "SBOM manifest");
            if (manifest.Subject?.Digest != image.Digest || manifest.Layers.FirstOrDefault(l => l.MediaType == SpdxDocument.MediaType) is not { } layer) continue;
            if (layer.Size > 64L * 1024 * 1024)
                throw new OciException(ErrorCodes.InvalidDocument, $"The SBOM {layer.Digest} in {source.Description} claims {layer.Size} bytes; refusing it.");
            await using var stream = await source.OpenBlobAsync(layer, cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
        return null;
    }
}
