using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>Small helpers for copies of a whole layout: its roots with their tags, and what a rewrite made of them.</summary>
public static class LayoutRoots
{
    /// <summary>Every image of index.json once, with all the tags (<c>org.opencontainers.image.ref.name</c>) it has there.</summary>
    public static IReadOnlyList<CopyRoot> Of(OciLayout layout) =>
        layout.Index.Manifests.GroupBy(m => m.Digest)
            .Select(g => new CopyRoot(g.First() with { Annotations = null }, g.Select(m => m.Annotation(AnnotationKeys.RefName)).OfType<string>().ToList()))
            .ToList();

    /// <summary>
    /// Names a root in index.json's <paramref name="entries"/> as a layout does: once per tag, or once untagged (an image
    /// copied by digest stays reachable); a tag put again on another image moves to it, at the end.
    /// </summary>
    /// <returns>Whether a tag was added or moved.</returns>
    public static bool Name(List<Descriptor> entries, Descriptor descriptor, IReadOnlyList<string> tags)
    {
        var plain = descriptor with { Annotations = null };
        if (tags.Count == 0 && !entries.Any(e => e.Digest == descriptor.Digest)) entries.Add(plain);
        var named = false;
        foreach (var tag in tags)
        {
            if (entries.Any(e => e.Digest == descriptor.Digest && e.Annotation(AnnotationKeys.RefName) == tag)) continue;
            entries.RemoveAll(e => e.Annotation(AnnotationKeys.RefName) == tag);
            entries.Add(plain.WithAnnotation(AnnotationKeys.RefName, tag));
            named = true;
        }
        return named;
    }

    /// <summary>Old manifest digest -> the manifest as copied (rewritten or the same), for every manifest the copy wrote.</summary>
    public static IReadOnlyDictionary<Digest, Descriptor> Manifests(CopyResult copy) =>
        copy.Graph.Documents.Where(d => d.Manifest is not null && !copy.Dropped.Contains(d.Descriptor.Digest))
            .ToDictionary(d => d.Descriptor.Digest, d => copy.Rewritten.GetValueOrDefault(d.Descriptor.Digest) ?? d.Descriptor);

    /// <summary>
    /// Puts a blob this process just wrote and trusts (a ciphertext, a plaintext in scratch) into a sink. <paramref name="stored"/>:
    /// the file is a sealed content-store blob, which layout sinks hard-link instead of copying.
    /// </summary>
    public static BlobPushResult PutFile(IImageSink sink, string path, Descriptor descriptor, bool stored = false) =>
        sink.PutBlobAsync(new BlobContent(descriptor,
                _ => Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan)), path)
            {
                SealedPath = stored ? path : null,
            },
            CancellationToken.None).GetAwaiter().GetResult();
}
