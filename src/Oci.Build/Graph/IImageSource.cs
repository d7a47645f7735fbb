using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>
/// Where images are read from: an OCI layout, an OCI archive, a registry repository, the local content store. The seam
/// every copy, pull, push and inspection goes through (in the spirit of go-containerregistry's remote/layout packages).
/// Everything it returns is verified against the descriptor asked for; nothing from a source is trusted.
/// </summary>
public interface IImageSource : IDisposable
{
    /// <summary>A human name for messages, as the user would write it (<c>oci:/path:tag</c>, <c>docker://host/repo</c>).</summary>
    string Description { get; }

    /// <summary>The descriptor a tag or digest names; null: the source's only image.</summary>
    Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken);

    /// <summary>A manifest or index by digest, through the right endpoint (registries: <c>/manifests/</c>), verified.</summary>
    Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken);

    /// <summary>A blob (config, layer) as a stream that checks digest and size as it is read.</summary>
    Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken);

    /// <summary>True when the source holds this digest (blob or manifest).</summary>
    Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken);

    /// <summary>A local file with the blob's bytes, when the source has one: sinks may link or clone it instead of streaming.</summary>
    string? TryGetBlobPath(Digest digest) => null;

    /// <summary>
    /// Opens the blob's bytes as a seekable stream, as often as asked (an upload that resumes or retries reads again from an
    /// offset): a layout's blob file, an archive member read in place once verified. Null when the source has no such
    /// random access; a sink that must seek then spools <see cref="OpenBlobAsync"/>'s verified stream to a file first.
    /// </summary>
    Func<Stream>? TryGetSeekableBlob(Descriptor descriptor) => TryGetBlobPath(descriptor.Digest) is { } path ? BlobContent.FileOpener(path) : null;

    /// <summary>
    /// A sealed file of the local content store with the blob's bytes (verified when stored, unchanged since: see
    /// <see cref="IO.SealedFile"/>): sinks may hard-link it without reading it. Only the store's own sources say so;
    /// files of layouts or archives someone gave us are read and verified.
    /// </summary>
    string? TryGetSealedBlobPath(Digest digest) => null;

    /// <summary>
    /// Where the blob's bytes lie in a local file (a layout's blob file, an archive member's range), for readers that need
    /// random access (a server answering <c>Range</c> requests). Unverified bytes: callers that hand them on rely on the
    /// receiver checking the digest. Null when the source cannot say (compressed archives, registries).
    /// </summary>
    BlobFileRange? TryGetBlobRange(Digest digest) => TryGetBlobPath(digest) is { } path && File.Exists(path) ? new BlobFileRange(path, 0, new FileInfo(path).Length) : null;

    /// <summary>
    /// The descriptor a tag names, or null when the source has no such tag: how attached objects (signatures, the
    /// referrers tag) are looked for (<see cref="AttachedObjects"/>). Other failures (access, transport) still throw.
    /// </summary>
    async Task<Descriptor?> TryResolveTagAsync(string tag, CancellationToken cancellationToken)
    {
        try
        {
            return await ResolveAsync(tag, cancellationToken).ConfigureAwait(false);
        }
        catch (OciException ex) when (ex.Code is ErrorCodes.ImageNotFound or ErrorCodes.RegistryManifestNotFound)
        {
            return null;
        }
    }
}

/// <summary><see cref="Length"/> bytes of the file at <see cref="Path"/>, from <see cref="Offset"/>.</summary>
public sealed record BlobFileRange(string Path, long Offset, long Length);

/// <summary>Where images are written to. Blobs first, then manifests (children before parents), tags last, then <see cref="CommitAsync"/>.</summary>
public interface IImageSink : IDisposable
{
    string Description { get; }

    /// <summary>Layers a registry does not hold (non-distributable, with URLs) are left out when true.</summary>
    bool SkipsForeignLayers => false;

    /// <summary>Puts a blob unless the sink already has it; says what happened.</summary>
    Task<BlobPushResult> PutBlobAsync(BlobContent blob, CancellationToken cancellationToken);

    /// <summary>
    /// Told, while the blobs still move, which manifests will be put later and under which references (<paramref name="tags"/>
    /// as in <see cref="PutManifestAsync"/>): a sink may look them up meanwhile, so that putting them waits on no question
    /// (a registry's HEAD). Nothing may be written here.
    /// </summary>
    void ExpectManifest(Descriptor descriptor, IReadOnlyList<string>? tags)
    {
    }

    /// <summary>
    /// True when manifests may be put at the same time (each still after the documents it names): a registry, where each
    /// is a round trip. False: one after another, as the sink's own files need.
    /// </summary>
    bool PutsManifestsConcurrently => false;

    /// <summary>
    /// Puts a manifest or index byte for byte under its digest. <paramref name="tags"/> null: a child of another document
    /// (by digest only); a list, possibly empty: a root the sink must name (each tag, or by digest). Returns false when
    /// every reference already named exactly these bytes.
    /// </summary>
    Task<bool> PutManifestAsync(Descriptor descriptor, byte[] content, IReadOnlyList<string>? tags, CancellationToken cancellationToken);

    /// <summary>Makes the written images visible (a layout's index.json, an archive's file); nothing before this counts.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A blob on its way from a source to a sink: the descriptor, a verified stream, a local file when there is one,
/// <see cref="SealedPath"/> when that file is a sealed content-store blob (linkable without reading it), and
/// <see cref="OpenSeekable"/> when the bytes can be read again from any offset.
/// </summary>
public sealed record BlobContent(Descriptor Descriptor, Func<CancellationToken, Task<Stream>> OpenAsync, string? FilePath)
{
    public string? SealedPath { get; init; }

    /// <summary>See <see cref="IImageSource.TryGetSeekableBlob"/>.</summary>
    public Func<Stream>? OpenSeekable { get; init; } = FilePath is null ? null : FileOpener(FilePath);

    internal static Func<Stream> FileOpener(string path) =>
        () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    public static BlobContent From(IImageSource source, Descriptor descriptor) =>
        new(descriptor, token => source.OpenBlobAsync(descriptor, token), source.TryGetBlobPath(descriptor.Digest))
        {
            SealedPath = source.TryGetSealedBlobPath(descriptor.Digest),
            OpenSeekable = source.TryGetSeekableBlob(descriptor),
        };
}

/// <summary>How one blob reached the sink.</summary>
public enum BlobOutcome
{
    /// <summary>The sink had it: nothing sent.</summary>
    Existed,
    /// <summary>The sink linked it from elsewhere (a registry mount, a hard link): nothing sent.</summary>
    Mounted,
    /// <summary>Its bytes were sent.</summary>
    Uploaded,
}

public sealed record BlobPushResult(Descriptor Descriptor, BlobOutcome Outcome, long BytesSent, string? MountedFrom = null);
