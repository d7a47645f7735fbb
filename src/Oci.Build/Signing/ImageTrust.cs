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
/// as <c>REGISTRY/REPOSITORY</c>, by digest, as <c>cosign sign</c> does for an attached artifact). For an index the walk
/// goes on into every platform manifest (<see cref="ImageWalker"/>): each one's referrers (its SBOM) must be signed too,
/// and a platform manifest's own signature (<c>cosign sign --recursive</c>, <c>ContainerSigningRecursive</c>) is checked
/// when it has one. Every problem is collected: a site sees at once that the image verifies and one SBOM does not.
/// </summary>
public static class ImageTrust
{
    /// <summary>Referrers looked at per manifest, at most: a hostile referrers index must not fan out into endless checks.</summary>
    private const int MaxReferrers = 64;

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
        ImageReference? ByDigest(Digest digest) =>
            ImageReference.TryParse($"{usedAs.Name}@{digest}", out var reference, out _) ? reference : null;
        async Task CheckReferrers(Digest subject, string? platform)
        {
            if (await source.TryResolveTagAsync(AttachedObjects.ReferrersTag(subject), cancellationToken).ConfigureAwait(false) is not { } tagged
                || !MediaTypes.IsIndex(tagged.MediaType)) return;
            var referrers = OciJson.Deserialize<ImageIndex>(await source.ReadManifestAsync(tagged with { Annotations = null }, cancellationToken).ConfigureAwait(false), "referrers index");
            foreach (var referrer in referrers.Manifests.Take(MaxReferrers))
            {
                var role = referrer.ArtifactType == Sbom.SpdxDocument.MediaType ? "SBOM" : $"referrer ({referrer.ArtifactType ?? referrer.MediaType})";
                if (platform is not null) role += $" of {platform}";
                if (ByDigest(referrer.Digest) is not { } reference) continue;
                await Check(role, referrer with { Annotations = null, ArtifactType = null }, reference).ConfigureAwait(false);
            }
        }

        await Check("image", image, usedAs).ConfigureAwait(false);
        await CheckReferrers(image.Digest, null).ConfigureAwait(false);
        if (!MediaTypes.IsIndex(image.MediaType)) return new TrustCheck(checkedItems, problems);

        // An index: its platform manifests (and nested indexes), each named by the platform its parent lists it under.
        var graph = await ImageWalker.WalkAsync(source, [image], cancellationToken).ConfigureAwait(false);
        var parents = graph.Documents.Where(d => d.Index is not null).SelectMany(d => d.Index!.Manifests).ToList();
        foreach (var document in graph.Documents.Where(d => d.Descriptor.Digest != image.Digest))
        {
            var digest = document.Descriptor.Digest;
            var platform = parents.FirstOrDefault(m => m.Digest == digest && m.Platform is not null)?.Platform?.ToString() ?? digest.ToString();
            // A platform manifest needs no signature of its own: the index's signature covers its digest (an index names
            // its children by digest, so they cannot be swapped without breaking it), which is what `cosign sign` without
            // --recursive and containers/image rely on. One that has a signature (signed recursively) must verify, though:
            // a bad signature beside an image is a sign of tampering, never ignored.
            if (await source.TryResolveTagAsync(AttachedObjects.SignatureTag(digest), cancellationToken).ConfigureAwait(false) is not null
                && ByDigest(digest) is { } reference)
                await Check($"image {platform}", document.Descriptor with { Annotations = null, Platform = null, ArtifactType = null }, reference).ConfigureAwait(false);
            await CheckReferrers(digest, platform).ConfigureAwait(false);
        }
        return new TrustCheck(checkedItems, problems);
    }
}
