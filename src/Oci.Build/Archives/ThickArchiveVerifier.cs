using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Signing;

namespace Oci.Build.Archives;

public sealed record ArchiveProblem(string Code, string Message);

/// <summary>What <see cref="ThickArchiveVerifier"/> found: counts, every problem, and the bundle when there is one.</summary>
public sealed record ArchiveVerification(string ArchivePath, int Images, int Files, long Bytes, IReadOnlyList<ArchiveProblem> Problems, CnabBundle? Bundle)
{
    /// <summary>For a delta archive: its baseline and the blobs it expects at the site (checked to be exactly the ones it lacks).</summary>
    public DeltaRecord? Delta { get; init; }

    /// <summary>Each member's sha256 as measured (hex), for an import that pushes from the archive it just verified.</summary>
    public IReadOnlyDictionary<string, string> MemberSha256 { get; init; } = new Dictionary<string, string>();

    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// Checks a thick archive before anything trusts it, with no registry: its structure (only thick-archive names, no
/// links, devices, duplicates or truncation; see <see cref="ArchiveSource"/>), every file against checksums.sha256
/// (and none unlisted), every manifest, index, config and layer against its digest and size, and the bundle against
/// the layout (every image of bundle.json present under its reference with its contentDigest; the relocation map names
/// exactly the bundle's images). One read of the archive: a blob's bytes are hashed once for both checks. Every
/// problem is collected rather than stopping at the first, except when the archive cannot be read at all. With a
/// <see cref="SignaturePolicy"/> (<c>--key</c>, <c>--policy</c>) also the signature of checksums.sha256 and every image's
/// cosign signatures in the layout (each image judged under the name it will be used as: its site name at import).
/// </summary>
public static partial class ThickArchiveVerifier
{
    public static ArchiveVerification Verify(string archivePath, CancellationToken cancellationToken = default) => Verify(archivePath, null, null, cancellationToken);

    /// <param name="usedAs">Original reference -> the name the image will be used as (the relocated name); others are judged under their original reference.</param>
    public static ArchiveVerification Verify(string archivePath, SignaturePolicy? policy, IReadOnlyDictionary<string, ImageReference>? usedAs, CancellationToken cancellationToken = default)
    {
        ArchiveSource source;
        try
        {
            source = ArchiveSource.Open(archivePath);
        }
        catch (OciException ex)
        {
            return new ArchiveVerification(Path.GetFullPath(archivePath), 0, 0, 0, [new ArchiveProblem(ex.Code, ex.Message)], null);
        }
        using (source) return Verify(source, policy, usedAs, cancellationToken);
    }

    public static ArchiveVerification Verify(ArchiveSource source, CancellationToken cancellationToken = default) => Verify(source, null, null, cancellationToken);

    public static ArchiveVerification Verify(ArchiveSource source, SignaturePolicy? policy, IReadOnlyDictionary<string, ImageReference>? usedAs, CancellationToken cancellationToken = default)
    {
        var path = source.Members.Path;
        var problems = new List<ArchiveProblem>();
        if (!source.IsThick)
            return new ArchiveVerification(path, 0, 0, 0, [new ArchiveProblem(ErrorCodes.InvalidThickArchive,
                $"'{path}' is an OCI archive, not a thick archive (no bundle.json or artifacts/layout).")], null);

        var hashes = CheckChecksums(source, problems, cancellationToken);
        DeltaRecord? delta = null;
        try
        {
            delta = DeltaRecord.ReadFrom(source);
        }
        catch (OciException ex)
        {
            problems.Add(new ArchiveProblem(ex.Code, ex.Message));
        }
        var images = CheckImages(source, hashes, delta, problems, cancellationToken);
        var bundle = CheckBundle(source, problems, out var parsed);
        if (parsed is not null && delta is not null)
        {
            var repositories = parsed.AllImages().Select(i => ImageReference.Parse(i.Image.Image).Name).ToHashSet(StringComparer.Ordinal);
            foreach (var blob in delta.Expected)
                foreach (var repository in blob.Repositories.Where(r => !repositories.Contains(r)))
                    problems.Add(new ArchiveProblem(ErrorCodes.DeltaRepositoryNotInBundle,
                        $"{ThickArchive.DeltaFile} expects {blob.Digest} in {repository}, which is none of the bundle's images: the site cannot be checked through it."));
        }
        if (policy is not null) CheckSignatures(source, policy, usedAs, problems, cancellationToken);
        if (problems.Count > 0) bundle = null;
        return new ArchiveVerification(path, images, source.Members.Files.Count, source.Members.Files.Values.Sum(r => r.Length), problems, bundle) { Delta = delta, MemberSha256 = hashes };
    }

    /// <summary>
    /// Hashes every member once, a member per core at a time (largest first, so the cores finish together), each read
    /// straight from its range; compares with checksums.sha256. Returns member -> its actual sha256 (hex).
    /// </summary>
    private static Dictionary<string, string> CheckChecksums(ArchiveSource source, List<ArchiveProblem> problems, CancellationToken cancellationToken)
    {
        var members = source.Members;
        var measured = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        // The checksum file and its signature cannot list themselves; the signature covers the checksum file.
        var toHash = members.Files.Where(f => f.Key is not (ThickArchive.ChecksumFile or ThickArchive.ChecksumSignatureFile))
            .OrderByDescending(f => f.Value.Length).ToList();
        try
        {
            Parallel.ForEach(toHash, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken }, member =>
            {
                using var stream = members.Open(member.Value);
                measured[member.Key] = Convert.ToHexStringLower(SHA256.HashData(stream));
            });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            // As a sequential read would fail: with the (first) error itself.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
        }
        // In archive order, as the problems below are reported.
        var actual = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in members.Files.Keys)
            if (measured.TryGetValue(name, out var hash)) actual[name] = hash;
        var listing = members.TryReadDocument(ThickArchive.ChecksumFile, ErrorCodes.InvalidThickArchive);
        if (listing is null)
        {
            problems.Add(new ArchiveProblem(ErrorCodes.InvalidThickArchive, $"'{members.Path}' has no {ThickArchive.ChecksumFile}: nothing proves its files are the ones written."));
            return actual;
        }
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Encoding.UTF8.GetString(listing).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = ChecksumLine().Match(line);
            if (!match.Success)
            {
                problems.Add(new ArchiveProblem(ErrorCodes.ArchiveChecksumMismatch, $"{ThickArchive.ChecksumFile} has a malformed line: '{Truncate(line)}'."));
                continue;
            }
            if (!listed.TryAdd(match.Groups[2].Value, match.Groups[1].Value))
                problems.Add(new ArchiveProblem(ErrorCodes.ArchiveChecksumMismatch, $"{ThickArchive.ChecksumFile} lists '{match.Groups[2].Value}' twice."));
        }
        foreach (var (name, hash) in listed)
        {
            // The tool package is the one file a site runs before anything else checks it: its own codes and advice.
            var tool = name.StartsWith(ThickArchive.ToolsDirectory, StringComparison.Ordinal);
            if (!actual.TryGetValue(name, out var found))
                problems.Add(tool
                    ? new ArchiveProblem(ErrorCodes.ToolPackageMissing, $"The tool package '{name}' is listed in {ThickArchive.ChecksumFile} but missing from the archive.")
                    : new ArchiveProblem(ErrorCodes.ArchiveChecksumMismatch, $"'{name}' is listed in {ThickArchive.ChecksumFile} but missing from the archive."));
            else if (!string.Equals(found, hash, StringComparison.OrdinalIgnoreCase))
                problems.Add(tool
                    ? new ArchiveProblem(ErrorCodes.ToolPackageDamaged, $"The tool package '{name}' does not match its sha256 in {ThickArchive.ChecksumFile}: it changed on the way; do not install it.")
                    : new ArchiveProblem(ErrorCodes.ArchiveChecksumMismatch, $"'{name}' does not match its sha256 in {ThickArchive.ChecksumFile}: it changed on the way."));
        }
        foreach (var name in actual.Keys.Where(n => !listed.ContainsKey(n)))
            problems.Add(new ArchiveProblem(ErrorCodes.ArchiveChecksumMismatch, $"'{name}' is in the archive but not in {ThickArchive.ChecksumFile}: it was added after the archive was written."));
        return actual;
    }

    /// <summary>Walks every image of the layout (documents verified as read); checks each blob with the hash already computed.</summary>
    private static int CheckImages(ArchiveSource source, Dictionary<string, string> hashes, DeltaRecord? delta, List<ArchiveProblem> problems, CancellationToken cancellationToken)
    {
        var roots = source.Index.Manifests.Select(m => m with { Annotations = null }).DistinctBy(m => m.Digest).ToList();
        ImageGraph graph;
        try
        {
            graph = ImageWalker.WalkAsync(source, roots, cancellationToken).GetAwaiter().GetResult();
        }
        catch (OciException ex)
        {
            problems.Add(new ArchiveProblem(ex.Code, ex.Message));
            return 0;
        }
        var expected = delta?.Expected.ToDictionary(e => e.Digest, StringComparer.Ordinal) ?? [];
        foreach (var blob in graph.Blobs)
        {
            var name = source.BlobName(blob.Descriptor.Digest);
            var isExpected = expected.Remove(blob.Descriptor.Digest.ToString(), out var expectation);
            if (isExpected && (source.Members.Files.ContainsKey(name) || blob.Role == "config" || expectation!.Size != blob.Descriptor.Size))
            {
                problems.Add(new ArchiveProblem(ErrorCodes.InvalidDeltaRecord,
                    $"{ThickArchive.DeltaFile} expects the {blob.Role} {blob.Descriptor.Digest} ({expectation!.Size} bytes) at the site, but the archive carries it, it is a config, or its size is {blob.Descriptor.Size}."));
                continue;
            }
            if (isExpected) continue; // the site has it from the baseline: the import checks there, before pushing
            if (!source.Members.Files.TryGetValue(name, out var range))
            {
                problems.Add(new ArchiveProblem(ErrorCodes.InvalidLayout, $"The {blob.Role} {blob.Descriptor.Digest} of {blob.Manifest.Digest} is missing from the archive."));
                continue;
            }
            var matches = blob.Descriptor.Digest.Algorithm == "sha256" && hashes.TryGetValue(name, out var hash)
                ? range.Length == blob.Descriptor.Size && hash == blob.Descriptor.Digest.Hex
                : VerifiesByReading(source, blob.Descriptor, cancellationToken);
            if (!matches)
                problems.Add(new ArchiveProblem(ErrorCodes.DigestMismatch,
                    $"The {blob.Role} {blob.Descriptor.Digest} ({range.Length} bytes, {blob.Descriptor.Size} declared) does not match its digest: the archive was damaged."));
        }
        foreach (var (digest, _) in expected)
            problems.Add(new ArchiveProblem(ErrorCodes.InvalidDeltaRecord, $"{ThickArchive.DeltaFile} expects {digest}, which none of the archive's images references."));
        // Images, not the signatures and referrers attached to them (walked and checked above all the same).
        return AttachedObjects.Images(source.Index).Select(m => m.Digest).Distinct().Count();
    }

    private static bool VerifiesByReading(ArchiveSource source, Descriptor descriptor, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = source.OpenBlobAsync(descriptor, cancellationToken).GetAwaiter().GetResult();
            stream.CopyTo(Stream.Null, 1 << 17);
            return true;
        }
        catch (OciException)
        {
            return false;
        }
    }

    /// <summary>bundle.json valid, every image at its reference with its contentDigest, the map naming exactly the bundle's images.</summary>
    private static CnabBundle? CheckBundle(ArchiveSource source, List<ArchiveProblem> problems, out CnabBundle? parsed)
    {
        parsed = null;
        var members = source.Members;
        var bytes = members.TryReadDocument(ThickArchive.BundleFile, ErrorCodes.InvalidBundle);
        if (bytes is null)
        {
            if (members.Files.ContainsKey(ThickArchive.MappingFile))
                problems.Add(new ArchiveProblem(ErrorCodes.InvalidThickArchive, $"'{members.Path}' has {ThickArchive.MappingFile} but no {ThickArchive.BundleFile}."));
            return null; // an archive of images alone (dotnet oci export REF)
        }
        CnabBundle bundle;
        try
        {
            bundle = BundleJson.Deserialize(bytes, $"bundle.json of '{members.Path}'");
            BundleValidator.Validate(bundle);
            parsed = bundle;
        }
        catch (OciException ex)
        {
            problems.Add(new ArchiveProblem(ex.Code, ex.Message));
            return null;
        }
        foreach (var (role, image) in bundle.AllImages())
        {
            var entry = source.Index.Manifests.FirstOrDefault(m => m.Annotation(AnnotationKeys.RefName) == image.Image);
            if (entry is null)
                problems.Add(new ArchiveProblem(ErrorCodes.ArchiveBundleImageMissing, $"The bundle's {role} {image.Image} is not in the archive's layout."));
            else if (entry.Digest.ToString() != image.ContentDigest)
                problems.Add(new ArchiveProblem(ErrorCodes.ArchiveBundleImageMissing,
                    $"The bundle's {role} {image.Image} is {image.ContentDigest}, but the archive's layout holds {entry.Digest} under that name."));
        }
        var mapping = members.TryReadDocument(ThickArchive.MappingFile, ErrorCodes.ArchiveMappingMismatch);
        if (mapping is null)
        {
            problems.Add(new ArchiveProblem(ErrorCodes.InvalidThickArchive, $"'{members.Path}' has no {ThickArchive.MappingFile} (Porter requires it)."));
            return bundle;
        }
        try
        {
            var map = System.Text.Json.JsonSerializer.Deserialize(mapping, ArchiveJsonContext.Default.DictionaryStringString) ?? [];
            var expected = bundle.AllImages().Select(i => i.Image.Image).ToHashSet(StringComparer.Ordinal);
            if (!map.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(expected))
                problems.Add(new ArchiveProblem(ErrorCodes.ArchiveMappingMismatch, $"{ThickArchive.MappingFile} does not name exactly the bundle's images."));
        }
        catch (System.Text.Json.JsonException ex)
        {
            problems.Add(new ArchiveProblem(ErrorCodes.ArchiveMappingMismatch, $"{ThickArchive.MappingFile} is not a JSON object of strings: {ex.Message}"));
        }
        return problems.Count == 0 ? bundle : null;
    }

    /// <summary>The checksum file's signature (it covers every other file through its hashes), then each image's signatures.</summary>
    private static void CheckSignatures(ArchiveSource source, SignaturePolicy policy, IReadOnlyDictionary<string, ImageReference>? usedAs,
        List<ArchiveProblem> problems, CancellationToken cancellationToken)
    {
        var members = source.Members;
        // A policy naming no key (insecureAcceptAnything) asks for no signature, of the checksum file either.
        if (policy.Keys.Count > 0 && members.TryReadDocument(ThickArchive.ChecksumFile, ErrorCodes.InvalidThickArchive) is { } checksums)
        {
            if (members.TryReadDocument(ThickArchive.ChecksumSignatureFile, ErrorCodes.ArchiveSignatureInvalid) is not { } signature)
                problems.Add(new ArchiveProblem(ErrorCodes.ArchiveNotSigned,
                    $"'{members.Path}' has no {ThickArchive.ChecksumSignatureFile}: it was not signed, so nothing proves who wrote it ({policy.Description} asks for a signature)."));
            else if (!policy.VerifiesBlob(checksums, Encoding.ASCII.GetString(signature)))
                problems.Add(new ArchiveProblem(ErrorCodes.ArchiveSignatureInvalid,
                    $"{ThickArchive.ChecksumSignatureFile} of '{members.Path}' does not verify {ThickArchive.ChecksumFile} with {policy.Description}: the archive was changed after signing, or signed with another key."));
        }
        foreach (var entry in AttachedObjects.Images(source.Index))
        {
            if (entry.Annotation(AnnotationKeys.RefName) is not { } name) continue;
            cancellationToken.ThrowIfCancellationRequested();
            ImageReference? reference = null;
            if (usedAs?.TryGetValue(name, out var relocated) == true) reference = relocated;
            else if (ImageReference.TryParse(name, out var parsed, out _)) reference = parsed;
            if (reference is null)
            {
                problems.Add(new ArchiveProblem(ErrorCodes.PolicyRejected, $"The layout entry '{name}' is not an image reference; no signature can name it."));
                continue;
            }
            // The image and what is attached to it under its referrers tag (the SBOM): both signed at build or archive time.
            var trust = ImageTrust.CheckAsync(policy, source, entry, reference, cancellationToken).GetAwaiter().GetResult();
            problems.AddRange(trust.Problems.Select(p => new ArchiveProblem(p.Code, $"{name}: {p.Message}")));
        }
    }

    private static string Truncate(string line) => line.Length > 80 ? line[..80] + "..." : line;

    [GeneratedRegex(@"^([0-9a-fA-F]{64})  \./(\S.*)$")]
    private static partial Regex ChecksumLine();
}
