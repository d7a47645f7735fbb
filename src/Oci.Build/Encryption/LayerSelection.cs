using Oci.Build.Oci;

namespace Oci.Build.Encryption;

/// <summary>
/// Turns <c>ContainerEncryptLayers</c> (layer names) into the layer digests to encrypt. The layers a build added come
/// last in the manifest, in the order of their names; everything before them is the base. Default: every added layer.
/// <c>base</c> names all base layers, and a digest names that layer, so a base layer is encrypted only when asked for.
/// </summary>
public static class LayerSelection
{
    public const string BaseName = "base";

    public static IReadOnlySet<Digest> Resolve(ImageManifest manifest, IReadOnlyList<string> addedLayerNames, IReadOnlyList<string> requested)
    {
        var baseCount = manifest.Layers.Count - addedLayerNames.Count;
        if (baseCount < 0)
            throw new OciException(ErrorCodes.UnknownEncryptLayer, $"The image has {manifest.Layers.Count} layers but the build names {addedLayerNames.Count}; rebuild the image.");
        var added = addedLayerNames.Select((name, i) => (Name: name, Layer: manifest.Layers[baseCount + i])).ToList();
        var wanted = requested.Select(r => r.Trim()).Where(r => r.Length > 0).ToList();
        if (wanted.Count == 0) return added.Select(a => a.Layer.Digest).ToHashSet();

        var selected = new HashSet<Digest>();
        foreach (var name in wanted)
        {
            if (string.Equals(name, BaseName, StringComparison.OrdinalIgnoreCase))
            {
                selected.UnionWith(manifest.Layers.Take(baseCount).Select(l => l.Digest));
                continue;
            }
            if (Digest.TryParse(name, out var digest) && manifest.Layers.Any(l => l.Digest == digest))
            {
                selected.Add(digest);
                continue;
            }
            var matches = added.Where(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count == 0)
                throw new OciException(ErrorCodes.UnknownEncryptLayer,
                    $"ContainerEncryptLayers names '{name}', which is not a layer of this image. Layers: {string.Join(", ", addedLayerNames)}, and '{BaseName}' for the base image's layers (or a layer digest).");
            selected.UnionWith(matches.Select(m => m.Layer.Digest));
        }
        return selected;
    }
}
