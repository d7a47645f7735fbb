using Oci.Build.Graph;
using Oci.Build.Oci;

namespace Oci.Build.Signing;

/// <summary>What to sign when an image is pushed: the signer and whether each platform's manifest of an index is signed too.</summary>
public sealed record SigningOptions(IImageSigner Signer, bool Recursive = false);

/// <summary>
/// Makes the signatures for images about to be pushed, before anything is pushed (a key or signer that fails stops the
/// push with nothing sent), then writes them after the images. Each root is signed under every name it is pushed as
/// (<c>registry/repository:tag</c>, or <c>registry/repository</c> when by digest); with <see cref="SigningOptions.Recursive"/>
/// every manifest of an index too, as <c>cosign sign --recursive</c> does. Every referrer (the SBOM) of every manifest
/// and index in the pushed graph is signed by digest whether or not recursively: a multi-platform image's SBOMs are
/// attached to its platform manifests, and a site that verifies them (<see cref="ImageTrust"/>) must find them signed.
/// </summary>
public static class ImageSigning
{
    /// <param name="repository"><c>registry/repository</c> as it is pushed to.</param>
    public static async Task<IReadOnlyList<AttachedArtifact>> PrepareAsync(SigningOptions options, IImageSource source, string repository,
        IReadOnlyList<CopyRoot> roots, CancellationToken cancellationToken)
    {
        var artifacts = new List<AttachedArtifact>();
        foreach (var group in roots.GroupBy(r => r.Descriptor.Digest))
        {
            var tags = group.SelectMany(r => r.Tags).Distinct().ToList();
            IReadOnlyList<string> names = tags.Count == 0 ? [repository] : tags.Select(t => $"{repository}:{t}").ToList();
            artifacts.Add(CosignSignature.Create(options.Signer, group.Key, names));
        }
        var rootDigests = roots.Select(r => r.Descriptor.Digest).ToHashSet();
        var graph = await ImageWalker.WalkAsync(source, roots.Select(r => r.Descriptor).DistinctBy(r => r.Digest).ToList(), cancellationToken).ConfigureAwait(false);
        if (options.Recursive)
        {
            foreach (var child in graph.Documents.Where(d => d.Manifest is not null && !rootDigests.Contains(d.Descriptor.Digest)))
                artifacts.Add(CosignSignature.Create(options.Signer, child.Descriptor.Digest, [repository]));
        }
        // Referrers already attached in the source (the SBOM) are signed like what they are attached to, by digest: those
        // of every document of the graph, the roots' and each platform manifest's.
        var signedReferrers = new HashSet<Digest>();
        foreach (var document in graph.Documents)
        {
            if (await source.TryResolveTagAsync(AttachedObjects.ReferrersTag(document.Descriptor.Digest), cancellationToken).ConfigureAwait(false) is not { } referrers
                || !MediaTypes.IsIndex(referrers.MediaType)) continue;
            var index = OciJson.Deserialize<ImageIndex>(await source.ReadManifestAsync(referrers with { Annotations = null }, cancellationToken).ConfigureAwait(false), "referrers index");
            foreach (var referrer in index.Manifests.Where(r => signedReferrers.Add(r.Digest)))
                artifacts.Add(CosignSignature.Create(options.Signer, referrer.Digest, [repository]));
        }
        return artifacts;
    }
}
