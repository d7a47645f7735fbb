using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Sbom;

namespace Oci.Build.Signing;

/// <summary>
/// What is attached to one image, read without a key: the names its signatures claim (not verified: a claim is not a
/// signature check, see <see cref="SignatureVerifier"/>) and its SBOM referrers. For <c>inspect</c>.
/// </summary>
public sealed record AttachedSummary(Digest? SignatureManifest, IReadOnlyList<string> ClaimedNames, IReadOnlyList<Descriptor> Sboms)
{
    public static async Task<AttachedSummary> ReadAsync(IImageSource source, Descriptor image, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        Digest? signatureManifest = null;
        if (await source.TryResolveTagAsync(AttachedObjects.SignatureTag(image.Digest), cancellationToken).ConfigureAwait(false) is { } signature
            && MediaTypes.IsManifest(signature.MediaType))
        {
            signatureManifest = signature.Digest;
            var manifest = OciJson.Deserialize<ImageManifest>(await source.ReadManifestAsync(signature with { Annotations = null }, cancellationToken).ConfigureAwait(false), "signature manifest");
            foreach (var layer in manifest.Layers.Where(l => l.MediaType == SimpleSigningPayload.MediaType && l.Size <= 64 * 1024))
            {
                await using var stream = await source.OpenBlobAsync(layer, cancellationToken).ConfigureAwait(false);
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (SimpleSigningPayload.TryParse(buffer.ToArray()) is { } payload && payload.ManifestDigest == image.Digest) names.Add(payload.DockerReference);
            }
        }
        var sboms = new List<Descriptor>();
        if (await source.TryResolveTagAsync(AttachedObjects.ReferrersTag(image.Digest), cancellationToken).ConfigureAwait(false) is { } referrers
            && MediaTypes.IsIndex(referrers.MediaType))
        {
            var index = OciJson.Deserialize<ImageIndex>(await source.ReadManifestAsync(referrers with { Annotations = null }, cancellationToken).ConfigureAwait(false), "referrers index");
            sboms.AddRange(index.Manifests.Where(m => m.ArtifactType == SpdxDocument.MediaType));
        }
        return new AttachedSummary(signatureManifest, names, sboms);
    }
}
