using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;
using Oci.Build.Signing;

namespace Oci.Build.Archives;

public sealed record ImportRequest
{
    /// <summary>The archive, its first part or its parts description.</summary>
    public required string ArchivePath { get; init; }
    public required RelocationTarget Target { get; init; }
    public RelocationNaming Naming { get; init; } = RelocationNaming.Prefix;
    /// <summary>Where the site's relocation-mapping.json is written, once every image is in the registry.</summary>
    public required string MappingPath { get; init; }
    public int Parallelism { get; init; } = 3;
    /// <summary>Bytes and blobs pushed so far, per image (the copy engine's progress).</summary>
    public IProgress<CopyProgress>? Progress { get; init; }
    /// <summary>
    /// <c>--key</c>/<c>--policy</c>: the archive's checksum signature and every image's signatures must satisfy it (a
    /// policy.json judges each image under its site name, a key under its archived name), or nothing is pushed.
    /// </summary>
    public SignaturePolicy? Policy { get; init; }
}

public sealed record ImportResult(ArchiveVerification Verification, RelocationResult Relocation);

/// <summary>
/// An import is a relocation whose source is the archive: the archive is verified whole first (nothing is pushed from
/// an archive that fails <see cref="ThickArchiveVerifier"/>), then <see cref="BundleRelocator"/> copies every image
/// into the site registry with the copy engine, reading blobs in place from the archive (no extraction): blobs in
/// parallel, manifests children before indexes, tags last, each blob the registry already has skipped (so a rerun of
/// an interrupted import sends only what is missing), and the relocation map written last.
/// </summary>
public sealed class ThickArchiveImporter(RegistrySettings settings, IBuildLog log)
{
    public ImportResult Import(ImportRequest request, CancellationToken cancellationToken = default)
    {
        // One opening of the archive for the verification and the push: its members are hashed once, by the verifier.
        ArchiveSource archive;
        try
        {
            archive = ArchiveSource.Open(request.ArchivePath);
        }
        catch (OciException ex)
        {
            throw new OciException(ErrorCodes.ImportRefused,
                $"'{Path.GetFullPath(request.ArchivePath)}' failed verification; nothing was pushed. 1 problem(s): {ex.Code}: {ex.Message}", ex);
        }
        using (archive) return Import(archive, request, cancellationToken);
    }

    private ImportResult Import(ArchiveSource archive, ImportRequest request, CancellationToken cancellationToken)
    {
        var verification = request.Policy is { } policy
            ? ThickArchiveVerifier.Verify(archive, policy, policy.JudgesSiteNames ? SiteNames(archive, request) : null, cancellationToken)
            : ThickArchiveVerifier.Verify(archive, cancellationToken);
        if (!verification.IsValid)
            throw new OciException(ErrorCodes.ImportRefused,
                $"'{verification.ArchivePath}' failed verification; nothing was pushed. {verification.Problems.Count} problem(s): " +
                string.Join(" ", verification.Problems.Take(5).Select(p => $"{p.Code}: {p.Message}")));
        var bundle = verification.Bundle
            ?? throw new OciException(ErrorCodes.ImportRefused,
                $"'{verification.ArchivePath}' holds images without a bundle; import them one by one with dotnet oci copy oci-archive:FILE:REF docker://HOST/REPO:TAG.");
        if (verification.Delta is { } delta) CheckSiteHas(delta, bundle, request, cancellationToken);
        // Verified: the push reads the configs and layers without hashing them a second time.
        archive.TrustVerified(verification.MemberSha256);
        log.Info($"Verified {verification.ArchivePath}: {verification.Images} images, {verification.Files} files ({ByteSize.Format(verification.Bytes)}); importing into {request.Target}");
        var relocation = new BundleRelocator(settings, log).Relocate(new RelocationRequest
        {
            Bundle = bundle,
            Target = request.Target,
            Naming = request.Naming,
            Sources = new BundleImageSourceMap { Archive = request.ArchivePath, OpenArchive = archive },
            MappingPath = request.MappingPath,
            Parallelism = request.Parallelism,
            Progress = request.Progress,
        }, cancellationToken);
        return new ImportResult(verification, relocation);
    }

    /// <summary>
    /// Each image's name at the site, from the relocation plan (pure naming, nothing is pushed): the policy judges an
    /// image by the name it will be pulled as there, as containers/image will. Null when the bundle cannot be read (the
    /// verification reports why).
    /// </summary>
    private static IReadOnlyDictionary<string, ImageReference>? SiteNames(ArchiveSource source, ImportRequest request)
    {
        try
        {
            if (source.Members.TryReadDocument(ThickArchive.BundleFile, ErrorCodes.InvalidBundle) is not { } bytes) return null;
            var bundle = BundleJson.Deserialize(bytes, "bundle.json");
            return RelocationPlanner.Plan(bundle, request.Target, request.Naming).ToDictionary(p => p.Original,
                p => new ImageReference(p.Registry, p.Repository, p.Tag, p.Tag is null ? p.Descriptor.Digest : null), StringComparer.Ordinal);
        }
        catch (OciException)
        {
            return null;
        }
    }

    /// <summary>
    /// A delta leaves out blobs the site has from the baseline: each is looked for first (HEAD, through every relocated
    /// repository that needs it, as the copy will push there), and every missing one is named before anything is pushed.
    /// Only then does the copy run, which finds those blobs already there and never asks the archive for them.
    /// </summary>
    private void CheckSiteHas(DeltaRecord delta, CnabBundle bundle, ImportRequest request, CancellationToken cancellationToken)
    {
        var plan = RelocationPlanner.Plan(bundle, request.Target, request.Naming);
        var relocated = plan.GroupBy(i => i.Source.Name).ToDictionary(g => g.Key, g => g.First());
        var missing = new List<string>();
        using var registries = new RegistryImages(settings, log, pushHost: RegistryEndpoint.ApiHost(request.Target.Registry), pullHost: null);
        foreach (var group in delta.Expected.SelectMany(b => b.Repositories.Select(r => (Blob: b, Repository: r))).GroupBy(x => x.Repository, StringComparer.Ordinal))
        {
            var image = relocated[group.Key]; // the verifier checked every repository is one of the bundle's images
            using var site = registries.OpenSource(new ImageLocation(ImageTransport.Registry, "", image.Descriptor.Digest.ToString(),
                new ImageReference(image.Registry, image.Repository, null, image.Descriptor.Digest)));
            foreach (var (blob, _) in group)
            {
                var descriptor = new Descriptor { MediaType = blob.MediaType, Digest = Digest.Parse(blob.Digest), Size = blob.Size };
                bool present;
                try
                {
                    present = site.HasAsync(descriptor, cancellationToken).GetAwaiter().GetResult();
                }
                catch (OciException ex) when (ex.Code is ErrorCodes.RegistryAuthenticationFailed or ErrorCodes.RegistryAccessDenied or ErrorCodes.RegistryUnreachable or ErrorCodes.RegistryTlsFailed)
                {
                    throw new OciException(ErrorCodes.RelocationTargetRefused,
                        $"The site registry {request.Target.Registry} refuses the delta's check of {image.Registry}/{image.Repository} ({ex.Code}: {ex.Message}); nothing was pushed.", ex);
                }
                if (!present) missing.Add($"{blob.Digest} ({ByteSize.Format(blob.Size)}) in {image.Registry}/{image.Repository}");
            }
        }
        if (missing.Count > 0)
            throw new OciException(ErrorCodes.DeltaBaseMissing,
                $"The delta {Path.GetFileName(request.ArchivePath)} expects {delta.Expected.Count} blobs at {request.Target} from its baseline " +
                $"{(delta.Baseline.Archive.Length > 0 ? delta.Baseline.Archive : "archive")}; {missing.Count} are missing, so nothing was pushed: {string.Join("; ", missing)}. " +
                "Import the baseline archive first (same --registry and naming), or carry the full archive.");
        log.Info($"The site has the {delta.Expected.Count} blobs ({ByteSize.Format(delta.ExpectedBytes)}) the delta expects from {delta.Baseline.Archive}");
    }
}
