using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Encryption;

/// <summary>
/// Copies every image of a layout into a layout writer, letting a callback replace layers (encrypt or decrypt them) and
/// rewriting manifests and indexes to point at the new blobs. Configs and untouched layers are copied verified, byte for byte.
/// </summary>
internal sealed class LayoutRewriter(OciLayout source, OciLayoutWriter writer, LayoutRewriter.LayerTransform transform)
{
    /// <summary>Returns the layer's new descriptor after writing its blob to the writer, or null to copy it unchanged.</summary>
    public delegate Descriptor? LayerTransform(Descriptor layer, int index, ImageManifest manifest);

    /// <summary>Old manifest digest -> new manifest descriptor, for every manifest rewritten.</summary>
    public Dictionary<Digest, Descriptor> Manifests { get; } = [];

    /// <summary>Old index digest -> its rewritten descriptor: an index named many times (a DAG) is rewritten once.</summary>
    private readonly Dictionary<Digest, Descriptor> _indexes = [];

    public ImageIndex Rewrite() => source.Index with { Manifests = source.Index.Manifests.Select(e => RewriteEntry(e, 1)).ToList() };

    private Descriptor RewriteEntry(Descriptor entry, int depth)
    {
        if (MediaTypes.IsManifest(entry.MediaType)) return RewriteManifest(entry);
        if (MediaTypes.IsIndex(entry.MediaType))
        {
            if (_indexes.TryGetValue(entry.Digest, out var done)) return Keep(entry, done);
            if (depth > OciDocuments.MaxIndexDepth) throw OciDocuments.TooDeep(source.Description);
            var index = OciJson.Deserialize<ImageIndex>(source.ReadDocument(entry, "image index"), $"index {entry.Digest}");
            var rewritten = index with { Manifests = index.Manifests.Select(e => RewriteEntry(e, depth + 1)).ToList() };
            if (rewritten.Manifests.SequenceEqual(index.Manifests))
            {
                writer.CopyBlob(source, entry);
                return _indexes[entry.Digest] = entry;
            }
            var written = writer.WriteBlob(OciJson.Serialize(rewritten), MediaTypes.OciIndex);
            return _indexes[entry.Digest] = entry with { MediaType = written.MediaType, Digest = written.Digest, Size = written.Size };
        }
        writer.CopyBlob(source, entry); // an artifact or something else this product leaves alone
        return entry;
    }

    private Descriptor RewriteManifest(Descriptor entry)
    {
        if (Manifests.TryGetValue(entry.Digest, out var done)) return Keep(entry, done);
        var manifest = OciJson.Deserialize<ImageManifest>(source.ReadDocument(entry, "image manifest"), $"manifest {entry.Digest}");
        var layers = new List<Descriptor>(manifest.Layers.Count);
        var changed = false;
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            var layer = manifest.Layers[i];
            var replaced = transform(layer, i, manifest);
            if (replaced is null)
            {
                writer.CopyBlob(source, layer);
                layers.Add(layer);
            }
            else
            {
                layers.Add(replaced);
                changed = true;
            }
        }
        if (!changed)
        {
            writer.CopyBlob(source, manifest.Config);
            writer.CopyBlob(source, entry);
            Manifests[entry.Digest] = entry;
            return entry;
        }
        writer.CopyBlob(source, manifest.Config);
        // Encrypted layers live only in OCI manifests; a Docker manifest becomes the OCI one naming the same bytes.
        var rewritten = manifest with
        {
            MediaType = MediaTypes.OciManifest,
            Config = manifest.Config.MediaType == MediaTypes.DockerConfig ? manifest.Config with { MediaType = MediaTypes.OciConfig } : manifest.Config,
            Layers = layers.Select(l => l with { MediaType = MediaTypes.ToOciLayer(l.MediaType) }).ToList(),
        };
        var written = writer.WriteBlob(OciJson.Serialize(rewritten), MediaTypes.OciManifest);
        Manifests[entry.Digest] = written;
        return Keep(entry, written);
    }

    /// <summary>The index entry for a rewritten manifest: new digest and size, same annotations and platform.</summary>
    private static Descriptor Keep(Descriptor entry, Descriptor written) =>
        entry with { MediaType = written.MediaType, Digest = written.Digest, Size = written.Size };
}
