using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.Oci;
using Oci.Build.Registry;

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
        var verification = ThickArchiveVerifier.Verify(request.ArchivePath, cancellationToken);
        if (!verification.IsValid)
            throw new OciException(ErrorCodes.ImportRefused,
                $"'{verification.ArchivePath}' failed verification; nothing was pushed. {verification.Problems.Count} problem(s): " +
                string.Join(" ", verification.Problems.Take(5).Select(p => $"{p.Code}: {p.Message}")));
        var bundle = verification.Bundle
            ?? throw new OciException(ErrorCodes.ImportRefused,
                $"'{verification.ArchivePath}' holds images without a bundle; import them one by one with dotnet oci copy oci-archive:FILE:REF docker://HOST/REPO:TAG.");
        log.Info($"Verified {verification.ArchivePath}: {verification.Images} images, {verification.Files} files ({ByteSize.Format(verification.Bytes)}); importing into {request.Target}");
        var relocation = new BundleRelocator(settings, log).Relocate(new RelocationRequest
        {
            Bundle = bundle,
            Target = request.Target,
            Naming = request.Naming,
            Sources = new BundleImageSourceMap { Archive = request.ArchivePath },
            MappingPath = request.MappingPath,
            Parallelism = request.Parallelism,
            Progress = request.Progress,
        }, cancellationToken);
        return new ImportResult(verification, relocation);
    }
}
