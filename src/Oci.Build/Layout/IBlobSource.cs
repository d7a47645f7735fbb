using Oci.Build.Oci;

namespace Oci.Build.Layout;

/// <summary>
/// Where blobs come from: a layout on disk, an extracted archive, a registry's local cache. Every stream returned is
/// verified against the descriptor while it is read (see <see cref="IO.VerifyingReadStream"/>).
/// </summary>
public interface IBlobSource
{
    /// <summary>A human name for messages, e.g. <c>oci:/path/to/layout</c>.</summary>
    string Description { get; }

    Stream OpenBlob(Descriptor descriptor);

    /// <summary>A local file holding the blob, when the source has one (lets writers copy or clone the file instead of streaming it).</summary>
    string? TryGetBlobPath(Digest digest) => null;

    /// <summary>A sealed content-store file with the blob (see <see cref="Graph.IImageSource.TryGetSealedBlobPath"/>): writers may hard-link it.</summary>
    string? TryGetSealedBlobPath(Digest digest) => null;

    /// <summary>
    /// Reads a manifest or index by its descriptor, verified. A layout keeps them with the blobs; a registry serves them
    /// only through <c>/manifests/&lt;digest&gt;</c>, never through <c>/blobs/</c>, so registry sources override this.
    /// </summary>
    byte[] ReadManifest(Descriptor descriptor, string what) => this.ReadDocument(descriptor, what);
}

public static class BlobSourceExtensions
{
    /// <summary>Reads a small JSON document (manifest, index, config) fully, verified, refusing anything absurdly large.</summary>
    public static byte[] ReadDocument(this IBlobSource source, Descriptor descriptor, string what)
    {
        if (descriptor.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidDocument, $"The {what} {descriptor.Digest} in {source.Description} claims {descriptor.Size} bytes; documents over {OciJson.MaxDocumentSize} bytes are refused.");
        using var stream = source.OpenBlob(descriptor);
        using var buffer = new MemoryStream((int)descriptor.Size);
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
