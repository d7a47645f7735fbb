using Oci.Build.Oci;

namespace Oci.Build.Layout;

/// <summary>One blob reachable from a layout's index, and how it was reached.</summary>
public sealed record ReachableBlob(Descriptor Descriptor, string Role, Descriptor? Manifest);

/// <summary>
/// Every blob a layout's index reaches: indexes (nested), manifests, configs, layers; each once, parents before children.
/// Documents are read verified; layers are only listed.
/// </summary>
public static class LayoutWalker
{
    public static IEnumerable<ReachableBlob> Walk(OciLayout layout)
    {
        var seen = new HashSet<Digest>();
        var pending = new Stack<Descriptor>(layout.Index.Manifests.Reverse());
        while (pending.Count > 0)
        {
            var entry = pending.Pop();
            if (!seen.Add(entry.Digest)) continue;
            if (MediaTypes.IsIndex(entry.MediaType))
            {
                yield return new ReachableBlob(entry, "index", null);
                var index = OciJson.Deserialize<ImageIndex>(layout.ReadDocument(entry, "image index"), $"index {entry.Digest}");
                foreach (var child in index.Manifests.Reverse()) pending.Push(child);
            }
            else if (MediaTypes.IsManifest(entry.MediaType))
            {
                yield return new ReachableBlob(entry, "manifest", null);
                var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "image manifest"), $"manifest {entry.Digest}");
                if (seen.Add(manifest.Config.Digest)) yield return new ReachableBlob(manifest.Config, "config", entry);
                foreach (var layer in manifest.Layers)
                {
                    if (seen.Add(layer.Digest)) yield return new ReachableBlob(layer, "layer", entry);
                }
            }
            else
            {
                yield return new ReachableBlob(entry, "artifact", null);
            }
        }
    }
}
