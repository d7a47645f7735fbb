using Oci.Build.Oci;

namespace Oci.Build.Encryption;

/// <summary>A layer of the image being built as encryption selects it: its name (<c>base</c> for the base image's) and descriptor.</summary>
public sealed record NamedLayer(string Name, Descriptor Descriptor, bool IsBase);

/// <summary>
/// Turns <c>ContainerEncryptLayers</c> (layer names) into the layer digests to encrypt, from the build's own list of
/// layers with their names and roles. Default: every layer the build added. <c>base</c>
/// names all base layers, and a digest names that layer, so a base layer is encrypted only when asked for.
/// </summary>
public static class LayerSelection
{
    public const string BaseName = "base";

    public static IReadOnlySet<Digest> Resolve(IReadOnlyList<NamedLayer> layers, IReadOnlyList<string> requested)
    {
        var added = layers.Where(l => !l.IsBase).ToList();
        var wanted = requested.Select(r => r.Trim()).Where(r => r.Length > 0).ToList();
        if (wanted.Count == 0) return added.Select(a => a.Descriptor.Digest).ToHashSet();

        var selected = new HashSet<Digest>();
        foreach (var name in wanted)
        {
            if (string.Equals(name, BaseName, StringComparison.OrdinalIgnoreCase))
            {
                selected.UnionWith(layers.Where(l => l.IsBase).Select(l => l.Descriptor.Digest));
                continue;
            }
            if (Digest.TryParse(name, out var digest) && layers.Any(l => l.Descriptor.Digest == digest))
            {
                selected.Add(digest);
                continue;
            }
            var matches = added.Where(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count == 0)
                throw new OciException(ErrorCodes.UnknownEncryptLayer,
                    $"ContainerEncryptLayers names '{name}', which is not a layer of this image. Layers: {string.Join(", ", added.Select(a => a.Name))}, and '{BaseName}' for the base image's layers (or a layer digest).");
            selected.UnionWith(matches.Select(m => m.Descriptor.Digest));
        }
        return selected;
    }
}
