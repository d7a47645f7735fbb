using System.IO.Compression;
using Oci.Build.Archives;
using Oci.Build.IO;
using Oci.Build.Layout;
using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>
/// An archive as a source (<c>oci-archive:FILE[:TAG]</c>), read in place through <see cref="TarMembers"/>: blobs are
/// read straight from their ranges in the tar, verified; nothing is extracted. Two kinds: an OCI archive (a tar of a
/// layout) and a thick archive (<see cref="ThickArchive"/>: the layout under <c>artifacts/layout/</c>, beside the
/// bundle). FILE may also be the first part or the description of a split archive (<see cref="ArchiveParts"/>): every
/// part is checked first, then the parts are read as one stream. The archive is hostile input: only its kind's names,
/// no links or devices, no name twice, nothing past the end.
/// </summary>
public sealed class ArchiveSource : IImageSource
{
    private readonly string? _scratch;

    private ArchiveSource(TarMembers members, string prefix, ImageIndex index, string? scratch)
    {
        Members = members;
        LayoutPrefix = prefix;
        Index = index;
        _scratch = scratch;
    }

    public ImageIndex Index { get; }

    /// <summary>Every member of the archive and where its bytes are.</summary>
    public TarMembers Members { get; }

    /// <summary>Where the layout is inside the archive: empty for an OCI archive, <c>artifacts/layout/</c> for a thick one.</summary>
    public string LayoutPrefix { get; }

    public bool IsThick => LayoutPrefix.Length > 0;

    /// <summary>A delta archive's record of the blobs it leaves out (<see cref="DeltaRecord"/>); null for a full archive.</summary>
    public DeltaRecord? Delta => (_delta ??= new Lazy<DeltaRecord?>(() => IsThick ? DeltaRecord.ReadFrom(this) : null)).Value;

    private Lazy<DeltaRecord?>? _delta;

    public string Description => $"oci-archive:{Members.Path}";

    public static ArchiveSource Open(string archivePath)
    {
        var path = Path.GetFullPath(archivePath);
        if (!File.Exists(path))
            throw new OciException(ErrorCodes.InvalidLayout, $"The archive '{path}' does not exist.");
        var input = ArchiveParts.Open(path);
        var scratch = IsGzip(input) ? Decompress(input) : null;
        try
        {
            var members = TarMembers.Scan(scratch is null ? input : new ArchiveInput(input.Path, [scratch], new FileInfo(scratch).Length));
            var thick = ThickArchive.IsThick(members.Files.Keys);
            foreach (var name in members.Files.Keys)
            {
                if (thick) ThickArchive.CheckName(name, path);
                else OciArchive.SafeName(name, path);
            }
            var prefix = thick ? ThickArchive.LayoutDirectory : "";
            var code = thick ? ErrorCodes.InvalidThickArchive : ErrorCodes.InvalidLayout;
            var kind = thick ? "thick archive: its artifacts/layout" : "OCI archive: it";
            var marker = members.TryReadDocument(prefix + OciLayout.LayoutFileName, code)
                ?? throw new OciException(code, $"'{path}' is not an {kind} has no '{OciLayout.LayoutFileName}'.");
            OciLayout.CheckLayoutVersion(marker, $"{path}: {prefix}{OciLayout.LayoutFileName}");
            var indexBytes = members.TryReadDocument(prefix + OciLayout.IndexFileName, code)
                ?? throw new OciException(code, $"'{path}' is not an {kind} has no '{OciLayout.IndexFileName}'.");
            var index = OciJson.Deserialize<ImageIndex>(indexBytes, $"{prefix}index.json of '{path}'");
            return new ArchiveSource(members, prefix, index, scratch);
        }
        catch
        {
            if (scratch is not null) File.Delete(scratch);
            throw;
        }
    }

    /// <summary>
    /// A tag or digest of index.json; in a thick archive, whose entries are named by full references that the
    /// <c>oci-archive:FILE:TAG</c> form cannot spell, also the last path segment of one (<c>:hello-oci</c>) when it is unique.
    /// </summary>
    public Task<Descriptor> ResolveAsync(string? reference, CancellationToken cancellationToken)
    {
        if (IsThick && reference is not null && !Digest.TryParse(reference, out _)
            && !Index.Manifests.Any(m => m.Annotation(AnnotationKeys.RefName) == reference))
        {
            var matches = Index.Manifests.Where(m => m.Annotation(AnnotationKeys.RefName) is { } name && ImageReference.TryParse(name, out var parsed, out _)
                && parsed!.Repository.Split('/')[^1] == reference).DistinctBy(m => m.Digest).ToList();
            if (matches.Count == 1) return Task.FromResult(matches[0]);
        }
        return Task.FromResult(OciLayout.FindEntry(Index, reference, Description));
    }

    public async Task<byte[]> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.Size > OciJson.MaxDocumentSize)
            throw new OciException(ErrorCodes.InvalidDocument, $"The manifest {descriptor.Digest} in {Description} claims {descriptor.Size} bytes; documents over {OciJson.MaxDocumentSize} bytes are refused.");
        // Always hashed, verified or not: a root manifest is pushed under a tag, which no registry checks against a digest.
        await using var stream = Open(descriptor, trustVerified: false);
        using var buffer = new MemoryStream((int)descriptor.Size);
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken) => Task.FromResult(Open(descriptor, trustVerified: true));

    /// <summary>
    /// Members whose sha256 <see cref="Archives.ThickArchiveVerifier"/> measured (member name -> hex), given by an import
    /// that verified this very source before pushing from it: a config or layer whose measured hash is its digest is then
    /// read without hashing it again, its length still checked. Bytes changed on disk after the verification would still
    /// be refused: a registry checks every blob pushed against the digest it is pushed as.
    /// </summary>
    public void TrustVerified(IReadOnlyDictionary<string, string> sha256ByMember) => _verified = sha256ByMember;

    private IReadOnlyDictionary<string, string>? _verified;

    /// <summary>A member read in place, seekable, once <see cref="TrustVerified"/> has vouched for its bytes; null before.</summary>
    public Func<Stream>? TryGetSeekableBlob(Descriptor descriptor)
    {
        var name = BlobName(descriptor.Digest);
        return Members.Files.TryGetValue(name, out var range) && IsVerified(name, range, descriptor) ? () => Members.OpenWindow(range) : null;
    }

    private bool IsVerified(string name, TarRange range, Descriptor descriptor) =>
        descriptor.Digest.Algorithm == "sha256" && range.Length == descriptor.Size && _verified?.TryGetValue(name, out var measured) == true && measured == descriptor.Digest.Hex;

    private Stream Open(Descriptor descriptor, bool trustVerified)
    {
        var name = BlobName(descriptor.Digest);
        if (!Members.Files.TryGetValue(name, out var range))
            throw Delta?.Find(descriptor.Digest) is not null
                ? new OciException(ErrorCodes.DeltaBlobNotCarried,
                    $"Blob {descriptor.Digest} is not carried by the delta archive {Description}: the site has it from the baseline. Import the delta into the registry that holds the baseline, or serve the delta with the full archive before it.")
                : new OciException(ErrorCodes.InvalidLayout, $"Blob {descriptor.Digest} is referenced but missing from {Description}.");
        if (trustVerified && IsVerified(name, range, descriptor))
            return Members.Open(range);
        return new VerifyingReadStream(Members.Open(range), descriptor.Digest, descriptor.Size, $"Blob {descriptor.Digest} in {Description}");
    }

    public Task<bool> HasAsync(Descriptor descriptor, CancellationToken cancellationToken) => Task.FromResult(Members.Files.ContainsKey(BlobName(descriptor.Digest)));

    /// <summary>The member name of a blob of the layout.</summary>
    public string BlobName(Digest digest) => $"{LayoutPrefix}{OciLayout.BlobsDirectoryName}/{digest.Algorithm}/{digest.Hex}";

    /// <summary>The member's range in the (uncompressed) tar: the bytes are served in place, for <c>Range</c> requests.</summary>
    /// <summary>Where a blob's bytes lie in the archive file, for a server streaming a range; null for a split archive
    /// (its bytes cross part files) or a gzipped one (read through a scratch copy).</summary>
    public BlobFileRange? TryGetBlobRange(Digest digest) =>
        _scratch is null && Members.Input.Files.Count == 1 && Members.Files.TryGetValue(BlobName(digest), out var range)
            ? new BlobFileRange(Members.Input.Files[0], range.Offset, range.Length)
            : null;

    public void Dispose()
    {
        if (_scratch is not null) File.Delete(_scratch);
    }

    private static bool IsGzip(ArchiveInput input)
    {
        using var stream = input.OpenRead();
        Span<byte> magic = stackalloc byte[2];
        return stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>
    /// A gzipped archive (<c>.tgz</c>, what Porter writes by default) cannot be read in place: it is decompressed once
    /// into a private temporary tar, bounded, and deleted with the source. Uncompressed archives avoid this step.
    /// </summary>
    private static string Decompress(ArchiveInput input, long maxBytes = 256L << 30)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"dotnet-oci-{Guid.NewGuid():N}.tar");
        try
        {
            using var source = new GZipStream(input.OpenRead(), CompressionMode.Decompress);
            using var output = new FileStream(scratch, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            var buffer = new byte[1 << 17];
            long total = 0;
            int n;
            while ((n = source.Read(buffer, 0, buffer.Length)) > 0)
            {
                total += n;
                if (total > maxBytes)
                    throw new OciException(ErrorCodes.UnsafeArchiveEntry, $"'{input.Path}' decompresses to more than {maxBytes} bytes; refusing it.");
                output.Write(buffer, 0, n);
            }
            return scratch;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            File.Delete(scratch);
            throw new OciException(ErrorCodes.ArchiveTruncated, $"'{input.Path}' is a damaged or truncated gzip: {ex.Message}", ex);
        }
        catch
        {
            File.Delete(scratch);
            throw;
        }
    }
}
