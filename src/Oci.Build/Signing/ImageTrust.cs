using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>One thing that failed the policy: the image or one of its referrers (the SBOM), with the coded reason.</summary>
public sealed record TrustProblem(string Role, Digest Digest, string Code, string Message);

/// <summary>What <see cref="ImageTrust.CheckAsync"/> looked at (role and digest of each) and what failed.</summary>
public sealed record TrustCheck(IReadOnlyList<(string Role, Digest Digest)> Checked, IReadOnlyList<TrustProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// Checks an image where it is stored (a registry, a layout) against a <see cref="SignaturePolicy"/> offline: the cosign
/// signature under <c>sha256-HEX.sig</c> of the image, judged under the name it is used as, and the signature of every
/// referrer listed under its referrers tag (the SBOM), judged by digest in the same repository (the build signs them
/// as <c>REGISTRY/REPOSITORY</c>, by digest, as <c>cosign sign</c> does for an attached artifact). Every problem is
/// collected: a site sees at once that the image verifies and its SBOM does not.
/// </summary>
public static class ImageTrust
{
    public static async Task<TrustCheck> CheckAsync(SignaturePolicy policy, IImageSource source, Descriptor image, ImageReference usedAs, CancellationToken cancellationToken)
    {
        image = image with { Annotations = null, Platform = null, ArtifactType = null };
        var checkedItems = new List<(string, Digest)>();
        var problems = new List<TrustProblem>();
        async Task Check(string role, Descriptor descriptor, ImageReference reference)
        {
            checkedItems.Add((role, descriptor.Digest));
            try
            {
                await policy.CheckAsync(source, descriptor, reference, cancellationToken).ConfigureAwait(false);
            }
            catch (OciException ex)
            {
                problems.Add(new TrustProblem(role, descriptor.Digest, ex.Code, $"{role} {descriptor.Digest}: {ex.Message}"));
            }
        }
        await Check("image", image, usedAs).ConfigureAwait(false);
        if (await source.TryResolveTagAsync(AttachedObjects.ReferrersTag(image.Digest), cancellationToken).ConfigureAwait(false) is { } tagged
            && MediaTypes.IsIndex(tagged.MediaType))
        {
            var referrers = OciJson.Deserialize<ImageIndex>(await source.ReadManifestAsync(tagged with { Annotations = null }, cancellationToken).ConfigureAwait(false), "referrers index");
            foreach (var referrer in referrers.Manifests.Take(64))
            {
                var role = referrer.ArtifactType == Sbom.SpdxDocument.MediaType ? "SBOM" : $"referrer ({referrer.ArtifactType ?? referrer.MediaType})";
                if (!ImageReference.TryParse($"{usedAs.Name}@{referrer.Digest}", out var byDigest, out _) || byDigest is null) continue;
                await Check(role, referrer with { Annotations = null, ArtifactType = null }, byDigest).ConfigureAwait(false);
            }
        }
        return new TrustCheck(checkedItems, problems);
    }
}
