using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Tests.Encryption;

/// <summary>Rewrites a layout's image in place the way a hostile registry or another tool could: new layer descriptors/blobs, new manifest, new index.</summary>
public static class LayoutEdit
{
    public static void RewriteLayers(string layoutPath, Func<Descriptor, OciLayout, Descriptor> edit)
    {
        var layout = OciLayout.Open(layoutPath);
        var entry = layout.Index.Manifests[0];
        var manifest = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(entry, "manifest"), "manifest");
        var edited = manifest with { Layers = manifest.Layers.Select(l => edit(l, layout)).ToList() };
        var bytes = OciJson.Serialize(edited);
        var digest = Digest.Of(bytes);
        File.WriteAllBytes(layout.BlobPath(digest), bytes);
        var index = layout.Index with { Manifests = layout.Index.Manifests.Select(m => m with { Digest = digest, Size = bytes.Length }).ToList() };
        File.WriteAllBytes(Path.Combine(layoutPath, OciLayout.IndexFileName), OciJson.Serialize(index));
    }

    /// <summary>Writes new blob content under its own digest and returns the descriptor pointing at it.</summary>
    public static Descriptor ReplaceBlob(Descriptor layer, OciLayout layout, byte[] content)
    {
        var digest = Digest.Of(content);
        File.WriteAllBytes(layout.BlobPath(digest), content);
        return layer with { Digest = digest, Size = content.Length };
    }
}
