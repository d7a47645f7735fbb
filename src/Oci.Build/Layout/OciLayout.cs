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
        OciDocuments.ReadLayoutMarker(ReadSmallFile(layoutFile), layoutFile);
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

    /// <summary>
    /// The manifest descriptors that <paramref name="tag"/> names: by <c>org.opencontainers.image.ref.name</c>, or the only
    /// entry when no tag is given and the index has exactly one.
    /// </summary>
    public Descriptor FindManifest(string? tag)
    {
        if (tag is null)
        {
            return Index.Manifests.Count switch
            {
                1 => Index.Manifests[0],
                0 => throw new OciException(ErrorCodes.ImageNotFound, $"{Description} holds no image."),
                _ => throw new OciException(ErrorCodes.ImageNotFound,
                    $"{Description} holds {Index.Manifests.Count} images; name one with oci:DIR:TAG (tags: {string.Join(", ", Tags())})."),
            };
        }
        return Index.Manifests.FirstOrDefault(m => m.Annotation(AnnotationKeys.RefName) == tag)
            ?? throw new OciException(ErrorCodes.ImageNotFound, $"{Description} has no image tagged '{tag}' (tags: {string.Join(", ", Tags())}).");
    }

    public IEnumerable<string> Tags() =>
        Index.Manifests.Select(m => m.Annotation(AnnotationKeys.RefName)).OfType<string>();

    // Bounded while reading, not by the reported length: index.json linked to /dev/zero reports 0 bytes and never ends.
    private static byte[] ReadSmallFile(string path) => RegularFile.ReadAllBytes(path, OciJson.MaxDocumentSize, $"'{path}'");
}
