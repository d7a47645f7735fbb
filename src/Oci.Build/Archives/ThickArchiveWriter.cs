using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Oci.Build.Bundles;
using Oci.Build.Graph;
using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Signing;

namespace Oci.Build.Archives;

/// <summary>One image a thick archive carries: the reference index.json names it by, its root, and where it is read from.</summary>
public sealed record ArchiveImage(string Reference, Descriptor Descriptor, ImageLocation Source);

public sealed record ThickArchiveRequest
{
    public required string ArchivePath { get; init; }
    /// <summary>The bundle, or null for an archive of images alone (<c>dotnet oci export REF</c>).</summary>
    public CnabBundle? Bundle { get; init; }
    public required IReadOnlyList<ArchiveImage> Images { get; init; }
    /// <summary>The one timestamp of every tar entry (seconds since the epoch).</summary>
    public long UnixTime { get; init; }
    /// <summary>Gzip the outer tar (<c>.tgz</c>); off by default: the layers are compressed already.</summary>
    public bool Compress { get; init; }
    /// <summary>Tool packages carried under <c>tools/</c> (the dotnet-oci tool package; see <see cref="ToolPackages"/>).</summary>
    public IReadOnlyList<ToolPackage> Tools { get; init; } = [];
    public int Parallelism { get; init; } = 3;
    /// <summary>
    /// ContainerSigningKey: signs checksums.sha256 (<see cref="ThickArchive.ChecksumSignatureFile"/>) and every image
    /// that comes without a signature, under the name it is archived as (images pushed signed bring their own).
    /// </summary>
    public IImageSigner? Signer { get; init; }
    /// <summary>What the site already holds: the archive is then a delta, carrying only the layers the baseline lacks.</summary>
    public ArchiveBaseline? Baseline { get; init; }
}

/// <param name="Delta">For a delta archive, what it expects at the site.</param>
public sealed record ThickArchiveResult(string ArchivePath, long Size, Digest Digest, int Images, int Blobs, TimeSpan Elapsed, DeltaRecord? Delta = null)
{
    /// <summary>The index file written beside the archive (<see cref="ArchiveIndex"/>).</summary>
    public string IndexPath => ArchiveIndex.PathFor(ArchivePath);
}

/// <summary>
/// Writes a thick archive (<see cref="ThickArchive"/>). The images are gathered with the one copy engine into a staging
/// layout beside the archive (every platform, base layers, each blob once: the layout sink keeps what it has), then
/// bundle.json, the relocation map and checksums.sha256 join them in one reproducible tar: entries sorted, <c>./</c>
/// prefix, one timestamp, uid/gid 0, 0644/0755; gzip with fixed settings when asked. The archive is replaced atomically.
/// </summary>
public static class ThickArchiveWriter
{
    /// <summary>The images of a bundle and where each is read from (see <see cref="BundleImageSourceMap.For"/>).</summary>
    public static IReadOnlyList<ArchiveImage> ImagesOf(CnabBundle bundle, BundleImageSourceMap sources)
    {
        BundleValidator.Validate(bundle);
        var images = new List<ArchiveImage>();
        foreach (var (role, image) in bundle.AllImages())
        {
            if (images.Any(i => i.Reference == image.Image)) continue;
            if (!ImageReference.TryParse(image.Image, out var reference, out var error))
                throw new OciException(ErrorCodes.InvalidBundle, $"{role}: {error}");
            var descriptor = new Descriptor { MediaType = image.MediaType ?? MediaTypes.OciManifest, Digest = Digest.Parse(image.ContentDigest!), Size = image.Size ?? 0 };
            images.Add(new ArchiveImage(image.Image, descriptor, sources.For(image.Image, reference!, descriptor.Digest)));
        }
        return images;
    }

    /// <summary>
    /// The tool packages to carry, read and checked before anything is gathered (OCI5058 missing, OCI5059 not a tool
    /// package, or two packages with one name): a bad package fails the build, not the site's install.
    /// </summary>
    public static IReadOnlyList<ToolPackage> ToolPackages(IEnumerable<string> paths)
    {
        var tools = paths.Distinct(StringComparer.Ordinal).Select(ToolPackage.Read).ToList();
        foreach (var clash in tools.GroupBy(t => t.ArchiveName, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            throw new OciException(ErrorCodes.ToolPackageDamaged,
                $"Two tool packages are both {clash.Key} ({string.Join(", ", clash.Select(t => t.Path))}); carry one of them.");
        return tools;
    }

    public static ThickArchiveResult Write(ThickArchiveRequest request, Func<ImageLocation, IImageSource> openSource, IBuildLog log, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var archive = Path.GetFullPath(request.ArchivePath);
        var directory = Path.GetDirectoryName(archive)!;
        var staging = Path.Combine(directory, $".{Path.GetFileName(archive)}.{Guid.NewGuid():N}.staging");
        var temp = archive + $".{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(staging);
            var layout = Path.Combine(staging, "artifacts", "layout");
            var blobs = 0;
            if (request.Bundle is not null) request.Baseline?.CheckBundle(request.Bundle.Name);
            var leftOut = new Dictionary<Digest, (Descriptor Descriptor, SortedSet<string> Repositories)>();
            foreach (var image in request.Images)
            {
                using var source = openSource(image.Source);
                // Scratch space: blobs that are files of the build's own layout are linked in, not copied.
                using var layoutSink = new LayoutSink(layout, linkBlobs: true, keepExisting: true);
                var skipped = new System.Collections.Concurrent.ConcurrentDictionary<Digest, Descriptor>();
                using var sink = request.Baseline is { } baseline
                    ? new BaselineSink(layoutSink, LeaveOut(source, image, baseline, cancellationToken), skipped)
                    : (IImageSink)layoutSink;
                var copy = ImageCopier.CopyAsync(source, sink, [new CopyRoot(image.Descriptor with { Annotations = null }, [image.Reference])],
                    // Signatures and SBOM referrers of the image travel in the archive (and from it at import).
                    new CopyOptions { Parallelism = request.Parallelism, IncludeAttached = true }, cancellationToken).GetAwaiter().GetResult();
                blobs += copy.Count(BlobOutcome.Uploaded) + copy.Count(BlobOutcome.Mounted);
                log.Detail($"  archived {image.Reference} ({image.Descriptor.Digest}) from {source.Description}");
                var repository = ImageReference.Parse(image.Reference).Name;
                foreach (var (blob, descriptor) in skipped)
                {
                    if (!leftOut.TryGetValue(blob, out var entry)) leftOut[blob] = entry = (descriptor, new SortedSet<string>(StringComparer.Ordinal));
                    entry.Repositories.Add(repository);
                }
            }
            if (request.Images.Count == 0)
                throw new OciException(ErrorCodes.InvalidThickArchive, "A thick archive needs at least one image.");
            if (request.Signer is { } imageSigner) SignUnsignedImages(layout, request.Images, imageSigner, log, cancellationToken);
            if (request.Bundle is { } bundle)
            {
                File.WriteAllBytes(Path.Combine(staging, ThickArchive.BundleFile), BundleJson.Serialize(bundle));
                File.WriteAllBytes(Path.Combine(staging, ThickArchive.MappingFile), RelocationMapping.Serialize(bundle, AsArchived(request.Images)));
            }
            DeltaRecord? delta = null;
            if (request.Baseline is { } deltaBaseline)
            {
                // A layer left out for one image but carried for another is in the archive: only the rest is expected.
                using var staged = new LayoutSink(layout, keepExisting: true);
                delta = new DeltaRecord
                {
                    Baseline = deltaBaseline.Description,
                    Expected = leftOut.Where(b => !staged.HasBlob(b.Key)).OrderBy(b => b.Key.ToString(), StringComparer.Ordinal).Select(b => new ExpectedBlob
                    {
                        Digest = b.Key.ToString(), Size = b.Value.Descriptor.Size, MediaType = b.Value.Descriptor.MediaType, Repositories = [.. b.Value.Repositories],
                    }).ToList(),
                };
                File.WriteAllBytes(Path.Combine(staging, ThickArchive.DeltaFile), delta.Serialize());
            }
            foreach (var tool in request.Tools)
            {
                Directory.CreateDirectory(Path.Combine(staging, "tools"));
                File.Copy(tool.Path, Path.Combine(staging, "tools", tool.ArchiveName));
            }
            WriteChecksums(staging);
            if (request.Signer is { } signer)
            {
                // cosign sign-blob's output: base64 of the DER signature, no newline (openssl dgst -verify takes the decoded DER).
                var checksums = File.ReadAllBytes(Path.Combine(staging, ThickArchive.ChecksumFile));
                File.WriteAllText(Path.Combine(staging, ThickArchive.ChecksumSignatureFile), Signatures.SignChecked(signer, checksums));
                log.Detail($"  signed {ThickArchive.ChecksumFile} with {signer.Description}");
            }
            Digest digest;
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var output = new DigestingStream(file, leaveOpen: true))
            {
                if (request.Compress)
                {
                    // Fixed settings (level, no name, no time in the header): the same tar always gives the same gzip.
                    using var gzip = new ParallelGzipStream(output, CompressionLevel.Optimal, leaveOpen: true);
                    WriteTar(staging, gzip, request.UnixTime);
                }
                else
                {
                    WriteTar(staging, output, request.UnixTime);
                }
                digest = output.Digest; // measured as written: the archive is not read again
            }
            var size = new FileInfo(temp).Length;
            WriteIndex(layout, request, delta, archive, digest, size, cancellationToken);
            AtomicFile.ReplaceFile(temp, archive);
            log.Info($"Thick archive {archive}: {request.Images.Count} images, {blobs} blobs, {ByteSize.Format(size)} ({digest}) in {stopwatch.Elapsed.TotalSeconds:F1} s" +
                     (delta is null ? "" : $"; a delta of {request.Baseline!.Path}: expects {delta.Expected.Count} blobs ({ByteSize.Format(delta.ExpectedBytes)}) at the site"));
            return new ThickArchiveResult(archive, size, digest, request.Images.Count, blobs, stopwatch.Elapsed, delta);
        }
        catch (IOException ex)
        {
            throw new OciException(ErrorCodes.ArchiveWriteFailed, $"Cannot write the thick archive '{archive}': {ex.Message}", ex);
        }
        finally
        {
            File.Delete(temp);
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// Signs each archived image that has no cosign signature in the staging layout (one read from local layouts, or pushed
    /// unsigned), as a push with the key would: under its archived name, with its SBOM referrers. All signatures are made
    /// (and checked) before the layout is rewritten.
    /// </summary>
    private static void SignUnsignedImages(string layout, IReadOnlyList<ArchiveImage> images, IImageSigner signer, IBuildLog log, CancellationToken cancellationToken)
    {
        var artifacts = new List<AttachedArtifact>();
        using (IImageSource source = new LayoutSource(OciLayout.Open(layout)))
        {
            foreach (var image in images)
            {
                var root = image.Descriptor with { Annotations = null };
                if (source.TryResolveTagAsync(AttachedObjects.SignatureTag(root.Digest), cancellationToken).GetAwaiter().GetResult() is not null) continue;
                var reference = ImageReference.Parse(image.Reference);
                artifacts.AddRange(ImageSigning.PrepareAsync(new SigningOptions(signer), source, reference.Name,
                    [new CopyRoot(root, reference.Tag is { } tag ? [tag] : [])], cancellationToken).GetAwaiter().GetResult());
                log.Detail($"  signed {reference.Name}@{root.Digest} with {signer.Description}");
            }
        }
        if (artifacts.Count == 0) return;
        using var sink = new LayoutSink(layout, linkBlobs: true, keepExisting: true);
        foreach (var artifact in artifacts) artifact.PutAsync(sink, cancellationToken).GetAwaiter().GetResult();
        sink.CommitAsync(cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The layers of one image (and what is attached to it) the baseline holds in the image's repository. Configs,
    /// manifests and indexes always travel: they are small, and they make the delta verifiable and servable on its own terms.
    /// </summary>
    private static HashSet<Digest> LeaveOut(IImageSource source, ArchiveImage image, ArchiveBaseline baseline, CancellationToken cancellationToken)
    {
        var root = image.Descriptor with { Annotations = null };
        var graph = ImageWalker.WalkAsync(source, [root], cancellationToken).GetAwaiter().GetResult();
        var attached = AttachedObjects.FindAsync(source, graph, cancellationToken).GetAwaiter().GetResult();
        if (attached.Count > 0) graph = ImageWalker.WalkAsync(source, [root, .. attached.Select(a => a.Descriptor)], cancellationToken).GetAwaiter().GetResult();
        var repository = ImageReference.Parse(image.Reference).Name;
        return graph.Blobs.Where(b => b.Role != "config" && baseline.Covers(b.Descriptor.Digest, repository)).Select(b => b.Descriptor.Digest).ToHashSet();
    }

    /// <summary>ARCHIVE.index.json from the staged layout (what the archive holds), written before the archive replaces the old one.</summary>
    private static void WriteIndex(string layout, ThickArchiveRequest request, DeltaRecord? delta, string archive, Digest digest, long size, CancellationToken cancellationToken)
    {
        var layoutIndex = OciLayout.Open(layout);
        using var source = new LayoutSource(layoutIndex);
        var index = ArchiveIndex.Build(source, layoutIndex.Index, request.Bundle is { } bundle ? new ArchiveBundleName(bundle.Name, bundle.Version) : null, delta,
            Path.GetFileName(archive), digest.Hex, size, cancellationToken);
        var path = ArchiveIndex.PathFor(archive);
        var temp = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temp, index.Serialize());
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The archive's relocation map: each image where it was read from, pinned by digest (Porter requires the file).</summary>
    private static IReadOnlyList<RelocatedImage> AsArchived(IReadOnlyList<ArchiveImage> images) =>
        images.Select(i =>
        {
            var reference = ImageReference.Parse(i.Reference);
            return new RelocatedImage(i.Reference, reference, i.Descriptor, reference.Registry, reference.Repository, reference.Tag);
        }).ToList();

    /// <summary>checksums.sha256 in sha256sum's format (<c>sha256sum -c</c> checks an extracted archive), sorted by path.</summary>
    private static void WriteChecksums(string staging)
    {
        var lines = new StringBuilder();
        foreach (var (name, file) in Files(staging))
        {
            // A sha256 blob's name is its sha256: the copy verified what it streamed, and linked blobs are this build's own.
            var parts = name.Split('/');
            var hash = parts.Length == 5 && parts[2] == OciLayout.BlobsDirectoryName && parts[3] == "sha256" ? parts[4] : HashFile(file);
            lines.Append(hash).Append("  ./").Append(name).Append('\n');
        }
        File.WriteAllText(Path.Combine(staging, ThickArchive.ChecksumFile), lines.ToString(), new UTF8Encoding(false));
    }

    private static string HashFile(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Every file under the staging folder: archive name (slashes, no <c>./</c>) -> path, sorted ordinally.</summary>
    private static IEnumerable<(string Name, string Path)> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (Name: Path.GetRelativePath(root, f).Replace('\\', '/'), Path: f))
            .OrderBy(f => f.Name, StringComparer.Ordinal);

    /// <summary>Porter's tar: <c>./</c> first, then every entry with a <c>./</c> prefix, parents before children.</summary>
    private static void WriteTar(string staging, Stream output, long unixTime)
    {
        var entries = LayerTarBuilder.WithParents(Files(staging).Select(f => new LayerEntry
        {
            Path = f.Name, Kind = LayerEntryKind.File, SourcePath = f.Path, Size = new FileInfo(f.Path).Length,
        }));
        using var tar = new ReproducibleTarWriter(output, unixTime);
        tar.WriteDirectory("./", 0b111_101_101);
        foreach (var entry in entries)
        {
            if (entry.Kind == LayerEntryKind.Directory)
            {
                tar.WriteDirectory("./" + entry.Path, 0b111_101_101);
                continue;
            }
            using var content = new FileStream(entry.SourcePath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            tar.WriteFile("./" + entry.Path, content, entry.Size, 0b110_100_100);
        }
        tar.Finish();
    }
}
