using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>A manifest or index read while walking, with the exact bytes its digest is of.</summary>
public sealed record GraphDocument(Descriptor Descriptor, byte[] Content, ImageIndex? Index, ImageManifest? Manifest);

/// <summary>A config or layer reached from a manifest (<see cref="Role"/>: config, layer; the first manifest that reached it).</summary>
public sealed record GraphBlob(Descriptor Descriptor, string Role, Descriptor Manifest);

/// <summary>
/// Everything reachable from some roots: documents children before parents (the order a registry accepts them), and each
/// config and layer once.
/// </summary>
public sealed record ImageGraph(IReadOnlyList<Descriptor> Roots, IReadOnlyList<GraphDocument> Documents, IReadOnlyList<GraphBlob> Blobs)
{
    public GraphDocument Document(Digest digest) => Documents.First(d => d.Descriptor.Digest == digest);
}

public sealed record WalkLimits
{
    /// <summary>Indexes nest one level in real images; deeper is refused (hostile input must not recurse without end).</summary>
    public int MaxDepth { get; init; } = 8;
    /// <summary>Documents in one graph, so an index cannot fan out without end.</summary>
    public int MaxDocuments { get; init; } = 10_000;
}

/// <summary>
/// The one walk of the image graph: index -> manifests (nested) -> config and layers. Iterative (no recursion on
/// input), memoized by digest (a shared manifest or layer is read and listed once), depth- and size-limited. Documents
/// are read verified through the source; layers are only listed.
/// </summary>
public static class ImageWalker
{
    /// <param name="read">Documents of an earlier walk of the same source (already read and verified): not read again.</param>
    public static async Task<ImageGraph> WalkAsync(IImageSource source, IReadOnlyList<Descriptor> roots, CancellationToken cancellationToken, WalkLimits? limits = null,
        ImageGraph? read = null)
    {
        limits ??= new WalkLimits();
        var documents = new Dictionary<Digest, GraphDocument>();
        var order = new List<GraphDocument>();
        var emitted = new HashSet<Digest>();
        var blobs = new Dictionary<Digest, GraphBlob>();
        // Post-order without recursion: a document is emitted when all its children are (stack entries: node, expanded?).
        var stack = new Stack<(Descriptor Descriptor, int Depth, bool Expanded)>(roots.Reverse().Select(r => (r, 0, false)));
        while (stack.Count > 0)
        {
            var (descriptor, depth, expanded) = stack.Pop();
            if (expanded)
            {
                if (emitted.Add(descriptor.Digest)) order.Add(documents[descriptor.Digest]);
                continue;
            }
            if (documents.ContainsKey(descriptor.Digest)) continue;
            if (depth > limits.MaxDepth)
                throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description}: image indexes nest more than {limits.MaxDepth} deep; refusing it.");
            if (!MediaTypes.IsIndex(descriptor.MediaType) && !MediaTypes.IsManifest(descriptor.MediaType))
                throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description}: {descriptor.Digest} is a '{descriptor.MediaType}', not an image manifest or index.");
            if (documents.Count >= limits.MaxDocuments)
                throw new OciException(ErrorCodes.InvalidDocument, $"{source.Description} reaches more than {limits.MaxDocuments} manifests; refusing it.");

            var content = read?.Documents.FirstOrDefault(d => d.Descriptor.Digest == descriptor.Digest)?.Content
                ?? await source.ReadManifestAsync(descriptor, cancellationToken).ConfigureAwait(false);
            GraphDocument document;
            stack.Push((descriptor, depth, true));
            if (MediaTypes.IsIndex(descriptor.MediaType))
            {
                var index = OciJson.Deserialize<ImageIndex>(content, $"image index {descriptor.Digest}");
                document = new GraphDocument(descriptor, content, index, null);
                foreach (var child in index.Manifests.Reverse())
                {
                    if (MediaTypes.IsIndex(child.MediaType) || MediaTypes.IsManifest(child.MediaType))
                        stack.Push((child, depth + 1, false));
                    else
                        blobs.TryAdd(child.Digest, new GraphBlob(child, "artifact", descriptor));
                }
            }
            else
            {
                var manifest = OciJson.Deserialize<ImageManifest>(content, $"image manifest {descriptor.Digest}");
                document = new GraphDocument(descriptor, content, null, manifest);
                blobs.TryAdd(manifest.Config.Digest, new GraphBlob(manifest.Config, "config", descriptor));
                foreach (var layer in manifest.Layers) blobs.TryAdd(layer.Digest, new GraphBlob(layer, "layer", descriptor));
            }
            documents[descriptor.Digest] = document;
        }
        // A manifest digest listed as some blob too (pathological) is a document: it goes through the manifest endpoint.
        return new ImageGraph(roots, order, blobs.Values.Where(b => !documents.ContainsKey(b.Descriptor.Digest)).ToList());
    }
}
