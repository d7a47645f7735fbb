using System.Text.Json;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Layout;

/// <summary>
/// A read-only OCI image layout directory (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/&lt;alg&gt;/&lt;hex&gt;</c>).
/// Nothing in it is trusted: every blob is verified while read and paths are built from parsed digests only.
/// </summary>
public sealed class OciLayout : IBlobSource
{
    public const string LayoutFileName = "oci-layout";
    public const string IndexFileName = "index.json";
    public const string BlobsDirectoryName = "blobs";

    private OciLayout(string root, ImageIndex index)
    {
        Root = root;
        Index = index;
    }

    public string Root { get; }

    public ImageIndex Index { get; }

    public string Description => $"oci:{Root}";

    public static bool Exists(string directory) =>
        File.Exists(Path.Combine(directory, LayoutFileName)) && File.Exists(Path.Combine(directory, IndexFileName));

    public static OciLayout Open(string directory)
    {
        var root = Path.GetFullPath(directory);
        var layoutFile = Path.Combine(root, LayoutFileName);
        var indexFile = Path.Combine(root, IndexFileName);
        if (!Directory.Exists(root))
            throw new OciException(ErrorCodes.InvalidLayout, $"The OCI image layout '{root}' does not exist.");
        if (!File.Exists(layoutFile) || !File.Exists(indexFile))
            throw new OciException(ErrorCodes.InvalidLayout, $"'{root}' is not an OCI image layout: it needs both '{LayoutFileName}' and '{IndexFileName}'.");
        CheckLayoutVersion(ReadSmallFile(layoutFile), layoutFile);
        var index = OciJson.Deserialize<ImageIndex>(ReadSmallFile(indexFile), $"index '{indexFile}'");
        return new OciLayout(root, index);
    }

    public string BlobPath(Digest digest) => Path.Combine(Root, BlobsDirectoryName, digest.Algorithm, digest.Hex);

    public bool HasBlob(Digest digest) => File.Exists(BlobPath(digest));

    public string? TryGetBlobPath(Digest digest) => HasBlob(digest) ? BlobPath(digest) : null;

    public Stream OpenBlob(Descriptor descriptor)
    {
        var path = BlobPath(descriptor.Digest);
        if (!File.Exists(path))
            throw new OciException(ErrorCodes.InvalidLayout, $"Blob {descriptor.Digest} is referenced but missing from {Description}.");
        var file = RegularFile.OpenRead(path, $"Blob {descriptor.Digest} in {Description}");
        return new VerifyingReadStream(file, descriptor.Digest, descriptor.Size, $"Blob {descriptor.Digest} in {Description}");
    }

    /// <summary>The entry <paramref name="tag"/> names (see <see cref="FindEntry"/>).</summary>
    public Descriptor FindManifest(string? tag) => FindEntry(Index, tag, Description);

    /// <summary>Every ref.name of index.json: the images' tags and the attached objects' (<c>sha256-HEX</c>, <c>.sig</c>).</summary>
    public IEnumerable<string> Tags() => AllTagsOf(Index);

    /// <summary>The images' tags only (what a user names an image by).</summary>
    public IEnumerable<string> ImageTags() => TagsOf(Index);

    /// <summary>
    /// The index.json entry a reference names: a digest, an <c>org.opencontainers.image.ref.name</c>, or (no reference)
    /// the only entry. Shared by layouts and archives, which have the same index.json.
    /// </summary>
    public static Descriptor FindEntry(ImageIndex index, string? reference, string description)
    {
        if (reference is null)
        {
            // Attached objects (the SBOM's referrers tag, signatures) are not images: a layout with one image and its
            // SBOM still has "the" image, as skopeo finds it by its ref.name. One image under several tags is one image.
            var images = Graph.AttachedObjects.Images(index).DistinctBy(m => m.Digest).ToList();
            return images.Count switch
            {
                1 => images[0],
                0 => throw new OciException(ErrorCodes.ImageNotFound, $"{description} holds no image."),
                _ => throw new OciException(ErrorCodes.ImageNotFound,
                    $"{description} holds {images.Count} images; name one with :TAG (tags: {string.Join(", ", TagsOf(index))})."),
            };
        }
        if (Digest.TryParse(reference, out var digest))
            return index.Manifests.FirstOrDefault(m => m.Digest == digest)
                ?? throw new OciException(ErrorCodes.ImageNotFound, $"{description} has no image {digest} in its index.");
        return index.Manifests.FirstOrDefault(m => m.Annotation(AnnotationKeys.RefName) == reference)
            ?? throw new OciException(ErrorCodes.ImageNotFound, $"{description} has no image tagged '{reference}' (tags: {string.Join(", ", TagsOf(index))}).");
    }

    /// <summary>The images' tags: attached objects' tags (<c>sha256-HEX</c>, <c>sha256-HEX.sig</c>) are not offered as names.</summary>
    private static IEnumerable<string> TagsOf(ImageIndex index) =>
        Graph.AttachedObjects.Images(index).Select(m => m.Annotation(AnnotationKeys.RefName)).OfType<string>();

    private static IEnumerable<string> AllTagsOf(ImageIndex index) =>
        index.Manifests.Select(m => m.Annotation(AnnotationKeys.RefName)).OfType<string>();

    /// <summary>Checks an <c>oci-layout</c> file's content: the shape <see cref="OciDocuments.ReadLayoutMarker"/> accepts.</summary>
    internal static void CheckLayoutVersion(byte[] content, string where) => OciDocuments.ReadLayoutMarker(content, where);

    /// <summary>
    /// Reads index.json or oci-layout: a regular file (no link to /dev/zero, no FIFO), bounded while reading, not by the
    /// reported length (/dev/zero reports 0 bytes and never ends).
    /// </summary>
    internal static byte[] ReadSmallFile(string path) => RegularFile.ReadAllBytes(path, OciJson.MaxDocumentSize, $"'{path}'");
}
