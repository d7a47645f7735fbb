using System.Diagnostics.CodeAnalysis;
using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>A small document or blob made in memory (a signature payload, an SBOM), with the descriptor that names it.</summary>
public sealed record InMemoryBlob(Descriptor Descriptor, byte[] Content)
{
    public static InMemoryBlob Of(byte[] content, string mediaType) =>
        new(new Descriptor { MediaType = mediaType, Digest = Digest.Of(content), Size = content.Length }, content);

    public BlobContent ToContent() => new(Descriptor, _ => Task.FromResult<Stream>(new MemoryStream(Content, writable: false)), null);
}

/// <summary>
/// An object attached to an image by a tag derived from the image's digest (a cosign signature, the referrers-tag index):
/// its blobs, its manifest or index, and the tag. <see cref="PutAsync"/> writes it into any sink, children first.
/// </summary>
public sealed record AttachedArtifact(string Tag, InMemoryBlob Root, IReadOnlyList<InMemoryBlob> Blobs, IReadOnlyList<InMemoryBlob> Children)
{
    public async Task PutAsync(IImageSink sink, CancellationToken cancellationToken)
    {
        foreach (var blob in Blobs) await sink.PutBlobAsync(blob.ToContent(), cancellationToken).ConfigureAwait(false);
        foreach (var child in Children) await sink.PutManifestAsync(child.Descriptor, child.Content, null, cancellationToken).ConfigureAwait(false);
        await sink.PutManifestAsync(Root.Descriptor, Root.Content, [Tag], cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// The objects that travel with an image without being part of its graph, found by the tags their tools derive from the
/// image's digest: cosign's <c>sha256-HEX.sig</c> (signatures), <c>.att</c> (attestations), <c>.sbom</c>, and the OCI 1.1
/// referrers tag schema <c>sha256-HEX</c> (an index of the manifests whose <c>subject</c> is the image, for registries
/// without the referrers API). Works on any <see cref="IImageSource"/>: registries and layouts alike hold them as tags.
/// </summary>
public static class AttachedObjects
{
    private static readonly string[] Suffixes = [".sig", "", ".att", ".sbom"];

    /// <summary>Attached objects of attached objects (an SBOM's signature) are followed this deep, no deeper.</summary>
    private const int MaxDepth = 3;

    /// <summary>Attached objects of one copy, at most: a hostile referrers index must not fan out into endless lookups.</summary>
    private const int MaxFound = 1_000;

    public static string SignatureTag(Digest digest) => $"{digest.Algorithm}-{digest.Hex}.sig";

    public static string ReferrersTag(Digest digest) => $"{digest.Algorithm}-{digest.Hex}";

    /// <summary>True for a tag that names an attached object rather than an image.</summary>
    public static bool IsAttachedTag(string tag) => TryParseTag(tag, out _, out _);

    /// <summary>
    /// The digest an attached object's tag is derived from (its subject) and the tag's suffix: "" for the referrers tag,
    /// <c>.sig</c>, <c>.att</c>, <c>.sbom</c>. False for a tag that names an image.
    /// </summary>
    public static bool TryParseTag(string tag, [NotNullWhen(true)] out Digest? subject, out string suffix)
    {
        subject = null;
        suffix = "";
        if (!tag.StartsWith("sha256-", StringComparison.Ordinal) && !tag.StartsWith("sha512-", StringComparison.Ordinal)) return false;
        // The referrers tag ("" suffix) last: every tag ends with "".
        foreach (var candidate in Suffixes.OrderByDescending(s => s.Length))
        {
            if (!tag.EndsWith(candidate, StringComparison.Ordinal) || !Digest.TryParse(tag[..^candidate.Length].Replace('-', ':'), out var digest)) continue;
            (subject, suffix) = (digest, candidate);
            return true;
        }
        return false;
    }

    /// <summary>The referrers tag schema's tag (<c>ALG-HEX</c>, no suffix), as opposed to cosign's signature and attestation tags.</summary>
    public static bool IsReferrersTag(string tag) => TryParseTag(tag, out _, out var suffix) && suffix.Length == 0;

    /// <summary>The entries of an index.json that are images, not attached objects (signatures, referrers tags).</summary>
    public static IReadOnlyList<Descriptor> Images(ImageIndex index) =>
        index.Manifests.Where(m => m.Annotation(AnnotationKeys.RefName) is not { } tag || !IsAttachedTag(tag)).ToList();

    /// <summary>
    /// Every attached object of every manifest and index of <paramref name="graph"/>, and theirs in turn, as roots to copy
    /// with their tags (never one of the graph's own roots twice).
    /// </summary>
    public static async Task<IReadOnlyList<CopyRoot>> FindAsync(IImageSource source, ImageGraph graph, CancellationToken cancellationToken)
    {
        var found = new List<CopyRoot>();
        var seen = graph.Documents.Select(d => d.Descriptor.Digest).ToHashSet();
        var subjects = graph.Documents.Select(d => d.Descriptor.Digest).ToList();
        for (var depth = 0; depth < MaxDepth && subjects.Count > 0; depth++)
        {
            var next = new List<Digest>();
            var tags = subjects.SelectMany(subject => Suffixes.Select(suffix => $"{subject.Algorithm}-{subject.Hex}{suffix}")).ToList();
            var resolved = await ResolveAllAsync(source, tags, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < tags.Count; i++)
            {
                var tag = tags[i];
                if (resolved[i] is not { } attached) continue;
                attached = attached with { Annotations = null };
                found.Add(new CopyRoot(attached, [tag]));
                if (found.Count > MaxFound)
                    throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description} attaches more than {MaxFound} objects (signatures, referrers) to these images; refusing it.");
                if (!seen.Add(attached.Digest)) continue;
                next.Add(attached.Digest);
                // A referrers index lists manifests that may be signed themselves.
                if (MediaTypes.IsIndex(attached.MediaType))
                {
                    var index = OciJson.Deserialize<ImageIndex>(await source.ReadManifestAsync(attached, cancellationToken).ConfigureAwait(false), "referrers index");
                    next.AddRange(index.Manifests.Select(m => m.Digest).Where(seen.Add));
                    if (next.Count > MaxFound)
                        throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description}: the referrers of these images list more than {MaxFound} manifests; refusing it.");
                }
            }
            subjects = next;
        }
        return found;
    }

    /// <summary>Tag lookups at the same time (a few): against a registry each is a round trip, mostly a miss.</summary>
    private static async Task<Descriptor?[]> ResolveAllAsync(IImageSource source, IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        var results = new Descriptor?[tags.Count];
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(tags.Select(async (tag, i) =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                results[i] = await source.TryResolveTagAsync(tag, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        return results;
    }
}
