using Oci.Build.Oci;

namespace Oci.Build.Layers;

/// <summary>How a layer blob came to be: freshly tarred and compressed, or taken from the cache.</summary>
public enum LayerOrigin
{
    /// <summary>Tarred and compressed in this build.</summary>
    Built,
    /// <summary>Tarred to compute its diff_id, then the compressed blob was found in the cache (no compression).</summary>
    CompressedFromCache,
    /// <summary>The entry list (paths, sizes, times, modes) matched a cached layer: nothing was read or tarred.</summary>
    Unchanged,
    /// <summary>Tarred to compute its diff_id, then downloaded from the previous image (ContainerPreviousImage): no compression, no upload.</summary>
    FromPreviousImage,
}

/// <summary>A layer blob ready to go into an image: its descriptor, its diff_id and the file holding it.</summary>
public sealed record BuiltLayer(string Name, Descriptor Descriptor, Digest DiffId, long UncompressedSize, string BlobPath, LayerOrigin Origin);
