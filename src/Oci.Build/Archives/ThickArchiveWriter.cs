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
/// Writes a thick archive (<see cref="ThickArchive"/>). The images are gathered with the one copy engine into
/// <see cref="ArchiveContents"/> (every platform, base layers, each blob once; documents read, layers only listed), then
/// every blob streams once from its source into one reproducible tar beside bundle.json, the relocation map and
/// checksums.sha256: entries sorted, <c>./</c> prefix, one timestamp, uid/gid 0, 0644/0755; gzip with fixed settings when
/// asked. No staging copy: every byte is written once. The archive is replaced atomically.
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
        var temp = archive + $".{Guid.NewGuid():N}.tmp";
        // Sources stay open until the tar is written: the layers are read from them then, once, straight into it.
        var sources = new List<IImageSource>();
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
            var contents = new ArchiveContents();
            var blobs = 0;
            if (request.Bundle is not null) request.Baseline?.CheckBundle(request.Bundle.Name);
            var leftOut = new Dictionary<Digest, (Descriptor Descriptor, SortedSet<string> Repositories)>();
            // Sources open one after another (names resolve in order); then every image is gathered at once: an image's
            // graph is a chain of round trips to its registry (manifests, configs, signature and referrer lookups), and
            // one image after another adds those chains up. Roots are named afterwards, in the request's order, so
            // index.json (and the archive's bytes) never depend on which registry answered first.
            foreach (var image in request.Images) sources.Add(openSource(image.Source));
            var gathering = request.Images.Select((image, i) => GatherAsync(image, sources[i], contents, request, cancellationToken)).ToArray();
            // Every gathering ends before an error is reported (none is left writing into the contents), and the error
            // reported is the first image's in the request's order, as when images were gathered one after another.
            Task.WhenAll(gathering).ContinueWith(_ => { }, TaskScheduler.Default).Wait();
            foreach (var (image, task) in request.Images.Zip(gathering))
            {
                var gathered = task.GetAwaiter().GetResult();
                gathered.Roots.NameRoots(cancellationToken);
                blobs += gathered.Copy.Count(BlobOutcome.Uploaded) + gathered.Copy.Count(BlobOutcome.Mounted);
                log.Detail($"  archived {image.Reference} ({image.Descriptor.Digest}) from {gathered.Source.Description}");
                var repository = ImageReference.Parse(image.Reference).Name;
                foreach (var (blob, descriptor) in gathered.Skipped)
                {
                    if (!leftOut.TryGetValue(blob, out var entry)) leftOut[blob] = entry = (descriptor, new SortedSet<string>(StringComparer.Ordinal));
                    entry.Repositories.Add(repository);
                }
            }
            if (request.Images.Count == 0)
                throw new OciException(ErrorCodes.InvalidThickArchive, "A thick archive needs at least one image.");
            if (request.Signer is { } imageSigner) SignUnsignedImages(contents, request.Images, imageSigner, log, cancellationToken);
            var files = new SortedDictionary<string, ArchiveFile>(StringComparer.Ordinal);
            foreach (var (blob, length, open) in contents.Blobs())
                files[$"{ThickArchive.LayoutDirectory}{OciLayout.BlobsDirectoryName}/{blob.Algorithm}/{blob.Hex}"] =
                    new ArchiveFile(length, open, blob.Algorithm == "sha256" ? blob.Hex : null);
            files[ThickArchive.LayoutDirectory + OciLayout.LayoutFileName] = ArchiveFile.Of(Encoding.UTF8.GetBytes($"{{\"imageLayoutVersion\":\"{MediaTypes.OciLayoutVersion}\"}}"));
            files[ThickArchive.LayoutDirectory + OciLayout.IndexFileName] = ArchiveFile.Of(OciJson.Serialize(contents.Index));
            if (request.Bundle is { } bundle)
            {
                files[ThickArchive.BundleFile] = ArchiveFile.Of(BundleJson.Serialize(bundle));
                files[ThickArchive.MappingFile] = ArchiveFile.Of(RelocationMapping.Serialize(bundle, AsArchived(request.Images)));
            }
            DeltaRecord? delta = null;
            if (request.Baseline is { } deltaBaseline)
            {
                // A layer left out for one image but carried for another is in the archive: only the rest is expected.
                delta = new DeltaRecord
                {
                    Baseline = deltaBaseline.Description,
                    Expected = leftOut.Where(b => !contents.HasBlob(b.Key)).OrderBy(b => b.Key.ToString(), StringComparer.Ordinal).Select(b => new ExpectedBlob
                    {
                        Digest = b.Key.ToString(), Size = b.Value.Descriptor.Size, MediaType = b.Value.Descriptor.MediaType, Repositories = [.. b.Value.Repositories],
                    }).ToList(),
                };
                files[ThickArchive.DeltaFile] = ArchiveFile.Of(delta.Serialize());
            }
            foreach (var tool in request.Tools)
            {
                var toolPath = tool.Path;
                files[ThickArchive.ToolsDirectory + tool.ArchiveName] = new ArchiveFile(new FileInfo(toolPath).Length,
                    _ => Task.FromResult<Stream>(new FileStream(toolPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan)), HashFile(toolPath));
            }
            Digest digest;
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var output = new DigestingStream(file, leaveOpen: true))
            {
                if (request.Compress)
                {
                    // Fixed settings (level, no name, no time in the header): the same tar always gives the same gzip.
                    using var gzip = new ParallelGzipStream(output, CompressionLevel.Optimal, leaveOpen: true);
                    WriteTar(files, request, log, gzip, cancellationToken);
                }
                else
                {
                    WriteTar(files, request, log, output, cancellationToken);
                }
                digest = output.Digest; // measured as written: the archive is not read again
            }
            var size = new FileInfo(temp).Length;
            WriteIndex(contents, request, delta, archive, digest, size, cancellationToken);
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
            foreach (var source in sources) source.Dispose();
            File.Delete(temp);
        }
    }

    /// <summary>One image gathered: what the copy did, the layers a delta left out, and its roots still to be named.</summary>
    private sealed record GatheredImage(IImageSource Source, CopyResult Copy, IReadOnlyDictionary<Digest, Descriptor> Skipped, DeferredRoots Roots);

    /// <summary>
    /// Gathers one image's graph into the contents (documents read and verified, blobs only listed; no layer byte moves
    /// yet), with its signatures and SBOM referrers, which travel in the archive (and from it at import).
    /// </summary>
    private static async Task<GatheredImage> GatherAsync(ArchiveImage image, IImageSource source, ArchiveContents contents, ThickArchiveRequest request, CancellationToken cancellationToken)
    {
        var roots = new DeferredRoots(contents);
        var skipped = new System.Collections.Concurrent.ConcurrentDictionary<Digest, Descriptor>();
        IImageSink sink = request.Baseline is { } baseline
            ? new BaselineSink(roots, await Task.Run(() => LeaveOut(source, image, baseline, cancellationToken), cancellationToken), skipped)
            : roots;
        var copy = await ImageCopier.CopyAsync(source, sink, [new CopyRoot(image.Descriptor with { Annotations = null }, [image.Reference])],
            new CopyOptions { Parallelism = request.Parallelism, IncludeAttached = true }, cancellationToken);
        return new GatheredImage(source, copy, skipped, roots);
    }

    /// <summary>
    /// The contents as one image's gathering sees them: every document and blob goes in at once, but the naming of the
    /// image's roots (its index.json entries) waits for <see cref="NameRoots"/>, in the order they came.
    /// </summary>
    private sealed class DeferredRoots(ArchiveContents contents) : IImageSink
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(Descriptor Descriptor, byte[] Content, IReadOnlyList<string> Tags)> _roots = new();

        public string Description => contents.Description;

        public Task<BlobPushResult> PutBlobAsync(BlobContent blob, CancellationToken cancellationToken) => contents.PutBlobAsync(blob, cancellationToken);

        public Task<bool> PutManifestAsync(Descriptor descriptor, byte[] content, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
        {
            if (tags is not null) _roots.Enqueue((descriptor, content, tags));
            return contents.PutManifestAsync(descriptor, content, null, cancellationToken);
        }

        public void NameRoots(CancellationToken cancellationToken)
        {
            foreach (var (descriptor, content, tags) in _roots) contents.PutManifestAsync(descriptor, content, tags, cancellationToken).GetAwaiter().GetResult();
        }

        public Task CommitAsync(CancellationToken cancellationToken) => contents.CommitAsync(cancellationToken);

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// One file of the archive: its size (for the tar header, before a byte is read), how to open it, and its sha256 when
    /// known beforehand (a sha256 blob's name is its hash: the stream checks it as it is read); the others' is measured
    /// while they are written, before checksums.sha256, which sorts after them all.
    /// </summary>
    private sealed record ArchiveFile(long Size, Func<CancellationToken, Task<Stream>> Open, string? Sha256)
    {
        public static ArchiveFile Of(byte[] content) =>
            new(content.Length, _ => Task.FromResult<Stream>(new MemoryStream(content, writable: false)), Convert.ToHexStringLower(SHA256.HashData(content)));
    }

    /// <summary>
    /// Signs each archived image that has no cosign signature among the gathered contents (one read from local layouts, or
    /// pushed unsigned), as a push with the key would: under its archived name, with its SBOM referrers. All signatures are
    /// made (and checked) before any is added to the contents.
    /// </summary>
    private static void SignUnsignedImages(ArchiveContents contents, IReadOnlyList<ArchiveImage> images, IImageSigner signer, IBuildLog log, CancellationToken cancellationToken)
    {
        var artifacts = new List<AttachedArtifact>();
        foreach (var image in images)
        {
            var root = image.Descriptor with { Annotations = null };
            if (((IImageSource)contents).TryResolveTagAsync(AttachedObjects.SignatureTag(root.Digest), cancellationToken).GetAwaiter().GetResult() is not null) continue;
            var reference = ImageReference.Parse(image.Reference);
            artifacts.AddRange(ImageSigning.PrepareAsync(new SigningOptions(signer), contents, reference.Name,
                [new CopyRoot(root, reference.Tag is { } tag ? [tag] : [])], cancellationToken).GetAwaiter().GetResult());
            log.Detail($"  signed {reference.Name}@{root.Digest} with {signer.Description}");
        }
        foreach (var artifact in artifacts) artifact.PutAsync(contents, cancellationToken).GetAwaiter().GetResult();
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

    /// <summary>ARCHIVE.index.json from what the archive holds, written before the archive replaces the old one.</summary>
    private static void WriteIndex(ArchiveContents contents, ThickArchiveRequest request, DeltaRecord? delta, string archive, Digest digest, long size, CancellationToken cancellationToken)
    {
        var index = ArchiveIndex.Build(contents, contents.Index, request.Bundle is { } bundle ? new ArchiveBundleName(bundle.Name, bundle.Version) : null, delta,
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

    private static string HashFile(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Porter's tar: <c>./</c> first, then every entry with a <c>./</c> prefix, parents before children, in one pass: each
    /// blob streams once from its source into the tar (checked against its digest as it is read). The next few blobs are
    /// opened while one is written, so a registry's round trips overlap the copying instead of adding up. checksums.sha256
    /// (sha256sum's format, sorted by path) and its signature are made when their turn comes: every file they cover
    /// sorts before them or was hashed beforehand.
    /// </summary>
    private static void WriteTar(SortedDictionary<string, ArchiveFile> files, ThickArchiveRequest request, IBuildLog log, Stream output, CancellationToken cancellationToken)
    {
        var hashes = files.Where(f => f.Value.Sha256 is not null).ToDictionary(f => f.Key, f => f.Value.Sha256!, StringComparer.Ordinal);
        byte[]? checksums = null;
        var names = new List<string>(files.Keys) { ThickArchive.ChecksumFile };
        if (request.Signer is not null) names.Add(ThickArchive.ChecksumSignatureFile);
        var entries = LayerTarBuilder.WithParents(names.Select(n => new LayerEntry { Path = n, Kind = LayerEntryKind.File }));
        var order = entries.Where(e => e.Kind == LayerEntryKind.File && files.ContainsKey(e.Path)).Select(e => e.Path).ToList();
        var opened = new Dictionary<string, Task<Stream>>(StringComparer.Ordinal);
        var next = 0;
        void OpenAhead(int upTo)
        {
            for (; next < order.Count && next <= upTo; next++) opened[order[next]] = files[order[next]].Open(cancellationToken);
        }
        try
        {
            using var tar = new ReproducibleTarWriter(output, request.UnixTime);
            tar.WriteDirectory("./", 0b111_101_101);
            var position = 0;
            foreach (var entry in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entry.Kind == LayerEntryKind.Directory)
                {
                    tar.WriteDirectory("./" + entry.Path, 0b111_101_101);
                    continue;
                }
                if (entry.Path == ThickArchive.ChecksumFile)
                {
                    checksums = Checksums(files.Keys, hashes);
                    tar.WriteFile("./" + entry.Path, new MemoryStream(checksums, writable: false), checksums.Length, 0b110_100_100);
                    continue;
                }
                if (entry.Path == ThickArchive.ChecksumSignatureFile)
                {
                    // cosign sign-blob's output: base64 of the DER signature, no newline (openssl dgst -verify takes the decoded DER).
                    var signature = Encoding.UTF8.GetBytes(Signatures.SignChecked(request.Signer!, checksums ?? throw new InvalidOperationException("checksums.sha256 sorts before its signature.")));
                    tar.WriteFile("./" + entry.Path, new MemoryStream(signature, writable: false), signature.Length, 0b110_100_100);
                    log.Detail($"  signed {ThickArchive.ChecksumFile} with {request.Signer!.Description}");
                    continue;
                }
                OpenAhead(position + Math.Max(1, request.Parallelism));
                var file = files[entry.Path];
                var task = opened[entry.Path];
                opened.Remove(entry.Path);
                position++;
                using var content = task.GetAwaiter().GetResult();
                // Blobs may come straight from a registry: read asynchronously (ReproducibleTarWriter.WriteFileAsync).
                if (hashes.ContainsKey(entry.Path))
                {
                    tar.WriteFileAsync("./" + entry.Path, content, file.Size, 0b110_100_100, cancellationToken).GetAwaiter().GetResult();
                }
                else
                {
                    // A blob named by another algorithm: its sha256 for the checksum file is measured as it is written.
                    using var hashing = new HashingReadStream(content);
                    tar.WriteFileAsync("./" + entry.Path, hashing, file.Size, 0b110_100_100, cancellationToken).GetAwaiter().GetResult();
                    hashes[entry.Path] = hashing.Sha256Hex;
                }
            }
            tar.Finish();
        }
        finally
        {
            // A failed write leaves streams opened ahead: close them (their errors no longer matter).
            foreach (var task in opened.Values)
            {
                try
                {
                    task.GetAwaiter().GetResult().Dispose();
                }
                catch (Exception)
                {
                }
            }
        }
    }

    /// <summary>checksums.sha256 in sha256sum's format (<c>sha256sum -c</c> checks an extracted archive), sorted by path.</summary>
    private static byte[] Checksums(IEnumerable<string> names, Dictionary<string, string> hashes)
    {
        var lines = new StringBuilder();
        foreach (var name in names) lines.Append(hashes[name]).Append("  ./").Append(name).Append('\n');
        return new UTF8Encoding(false).GetBytes(lines.ToString());
    }

    /// <summary>A read-only pass-through that hashes (sha256) what is read through it.</summary>
    private sealed class HashingReadStream(Stream inner) : ForwardOnlyReadStream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public string Sha256Hex => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            _hash.AppendData(buffer[..n]);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _hash.AppendData(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
