using System.Diagnostics;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Registry;
using Oci.Build.Registry.Transfer;

namespace Oci.Build.Bundles;

/// <summary>Where a bundle's images are read from when they are relocated.</summary>
public sealed record BundleImageSourceMap
{
    /// <summary>Image string of bundle.json -> a local OCI layout holding it (the images a publish just built).</summary>
    public IReadOnlyDictionary<string, string> Layouts { get; init; } = new Dictionary<string, string>();
    /// <summary>A layout that holds every other image by digest (a thick bundle's artifacts/layout).</summary>
    public string? Layout { get; init; }
    /// <summary>A thick archive (or its first part or parts description) that holds every image, read in place.</summary>
    public string? Archive { get; init; }
    /// <summary><see cref="Archive"/> already open (an import's, verified): read through, not opened again, and not disposed here.</summary>
    public ArchiveSource? OpenArchive { get; init; }
    /// <summary>A registry repository that holds every other image by digest (a bundle pushed as cnab-to-oci does).</summary>
    public ImageReference? Repository { get; init; }

    /// <summary>Where one image is: its own layout, the common layout, the bundle's repository, else its own reference.</summary>
    /// <param name="original">The image string of bundle.json.</param>
    public ImageLocation For(string original, ImageReference source, Digest digest)
    {
        if (Layouts.TryGetValue(original, out var layout)) return new ImageLocation(ImageTransport.Layout, layout, null, null);
        if (Layout is not null) return new ImageLocation(ImageTransport.Layout, Layout, null, null);
        if (Archive is not null) return new ImageLocation(ImageTransport.Archive, Archive, null, null);
        var reference = (Repository ?? source) with { Tag = null, Digest = digest };
        return new ImageLocation(ImageTransport.Registry, "", digest.ToString(), reference);
    }
}

public sealed record RelocationRequest
{
    public required CnabBundle Bundle { get; init; }
    public required RelocationTarget Target { get; init; }
    public RelocationNaming Naming { get; init; } = RelocationNaming.Prefix;
    public BundleImageSourceMap Sources { get; init; } = new();
    /// <summary>Where relocation-mapping.json is written (only once every image it names is at the target).</summary>
    public required string MappingPath { get; init; }
    public int Parallelism { get; init; } = 3;
    /// <summary>The copy engine's progress, image by image.</summary>
    public IProgress<CopyProgress>? Progress { get; init; }
}

public sealed record RelocationResult(IReadOnlyList<RelocatedImage> Images, int Blobs, long BytesSent, int Mounted, int Existed, TimeSpan Elapsed);

/// <summary>
/// Copies every image of a bundle (every platform of an index, base layers, the invocation image) into another registry
/// with the shared copy engine, keeping every digest, then writes relocation-mapping.json. The bundle is never rewritten.
/// Encrypted layers are copied as they are: no keys are needed.
/// </summary>
public sealed class BundleRelocator(RegistrySettings settings, IBuildLog log)
{
    public RelocationResult Relocate(RelocationRequest request, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        BundleValidator.Validate(request.Bundle);
        var plan = RelocationPlanner.Plan(request.Bundle, request.Target, request.Naming);
        var targetHost = RegistryEndpoint.ApiHost(request.Target.Registry);
        int blobs = 0, mounted = 0, existed = 0;
        long sent = 0;
        using var registries = new RegistryImages(settings, log, pushHost: targetHost, pullHost: null);
        // Every image at the same time from the start: most of a small image's time is round trips, which overlap instead
        // of adding up. One gate for all their blobs: Parallelism transfers in all, the largest of all the images first.
        // A blob the images share is uploaded once, by the first to need it, and mounted into the others from there (from
        // a registry on the same host, the images' own repositories are mounted from instead).
        var placements = new BlobPlacements();
        var gate = new TransferGate(request.Parallelism);
        var progress = request.Progress is { } report ? new CombinedCopyProgress(report) : null;
        async Task<CopyResult> CopyImageAsync(RelocatedImage image)
        {
            var from = request.Sources.For(image.Original, image.Source, image.Descriptor.Digest);
            var to = Target(image);
            var mountFrom = from.Transport == ImageTransport.Registry ? from : null;
            var result = await CopyAsync(registries, request.Sources, from, to, mountFrom, placements, image,
                new CopyOptions { Gate = gate, Progress = progress?.Part(), IncludeAttached = true }, cancellationToken).ConfigureAwait(false);
            log.Info($"Relocated {image.Original} -> {image.Relocated}{(image.Tag is null ? "" : $" (tag {image.Tag})")}: " +
                     $"{result.Count(BlobOutcome.Uploaded)} blobs sent, {result.Count(BlobOutcome.Mounted)} mounted, {result.Count(BlobOutcome.Existed)} already there");
            return result;
        }

        var results = Task.WhenAll(plan.Select(image => Task.Run(() => CopyImageAsync(image), cancellationToken))).GetAwaiter().GetResult();
        foreach (var result in results)
        {
            blobs += result.Blobs.Count;
            mounted += result.Count(BlobOutcome.Mounted);
            existed += result.Count(BlobOutcome.Existed);
            sent += result.BytesSent;
        }

        // The map is written only when everything it names is at the destination: check each relocated root there.
        foreach (var image in plan)
        {
            using var check = registries.OpenSource(new ImageLocation(ImageTransport.Registry, "", image.Descriptor.Digest.ToString(),
                new ImageReference(image.Registry, image.Repository, null, image.Descriptor.Digest)));
            if (!TargetCall(() => check.HasAsync(image.Descriptor, cancellationToken).GetAwaiter().GetResult(), request.Target))
                throw new OciException(ErrorCodes.BundleImageMissing, $"{image.Relocated} is not at {request.Target} after the copy; relocation-mapping.json is not written.");
        }
        RelocationMapping.Write(request.MappingPath, request.Bundle, plan);
        log.Info($"Relocation of {request.Bundle.Name} {request.Bundle.Version} to {request.Target}: {plan.Count} images, {blobs} blobs " +
                 $"({ByteSize.Format(sent)} sent, {mounted} mounted, {existed} already there) in {stopwatch.Elapsed.TotalSeconds:F1} s; map: {request.MappingPath}");
        return new RelocationResult(plan, blobs, sent, mounted, existed, stopwatch.Elapsed);
    }

    private static ImageLocation Target(RelocatedImage image) =>
        new(ImageTransport.Registry, "", image.Tag, new ImageReference(image.Registry, image.Repository, image.Tag, null));

    private static async Task<CopyResult> CopyAsync(RegistryImages registries, BundleImageSourceMap sources, ImageLocation from, ImageLocation to, ImageLocation? mountFrom,
        BlobPlacements placements, RelocatedImage image, CopyOptions options,
        CancellationToken cancellationToken)
    {
        IImageSource source;
        try
        {
            source = from.Transport == ImageTransport.Archive && sources.OpenArchive is { } open ? new BorrowedSource(open) : registries.OpenSource(from);
        }
        catch (OciException ex) when (ex.Code is ErrorCodes.InvalidLayout or ErrorCodes.ImageNotFound)
        {
            throw Missing(image, from, ex);
        }
        using (source)
        {
            bool present;
            try
            {
                present = await source.HasAsync(image.Descriptor, cancellationToken).ConfigureAwait(false);
            }
            catch (OciException ex) when (ex.Code is ErrorCodes.RegistryManifestNotFound or ErrorCodes.InvalidLayout)
            {
                throw Missing(image, from, ex);
            }
            if (!present) throw Missing(image, from, null);
            using var sink = registries.OpenSink(to, mountFrom, placements: placements);
            try
            {
                return await ImageCopier.CopyAsync(source, sink, [new CopyRoot(image.Descriptor, image.Tag is null ? [] : [image.Tag])],
                    options, cancellationToken).ConfigureAwait(false);
            }
            catch (OciException ex) when (ex.Code is ErrorCodes.RegistryManifestNotFound or ErrorCodes.RegistryBlobNotFound or ErrorCodes.InvalidLayout)
            {
                throw Missing(image, from, ex);
            }
            catch (OciException ex) when (IsRefusal(ex.Code) && ex.Message.Contains(to.Image!.Registry, StringComparison.OrdinalIgnoreCase))
            {
                throw Refused(to.Image!.Registry, ex);
            }
        }
    }

    private static T TargetCall<T>(Func<T> call, RelocationTarget target)
    {
        try
        {
            return call();
        }
        catch (OciException ex) when (IsRefusal(ex.Code))
        {
            throw Refused(target.Registry, ex);
        }
    }

    private static bool IsRefusal(string code) => code is ErrorCodes.RegistryAuthenticationFailed or ErrorCodes.RegistryAccessDenied
        or ErrorCodes.RegistryPushRejected or ErrorCodes.RegistryUnreachable or ErrorCodes.RegistryTlsFailed;

    private static OciException Refused(string registry, OciException inner) =>
        new(ErrorCodes.RelocationTargetRefused,
            $"The relocation target {registry} refuses the copy ({inner.Code}: {inner.Message}). Check its address, that your credentials " +
            "(docker/podman config, credential helper, DOTNET_CONTAINER_REGISTRY_UNAME/PWORD) may push there; relocation-mapping.json is not written.", inner);

    private static OciException Missing(RelocatedImage image, ImageLocation from, OciException? inner) =>
        new(ErrorCodes.BundleImageMissing,
            $"The bundle's image {image.Original} is not in {from}{(inner is null ? "" : $" ({inner.Code}: {inner.Message})")}. Relocate from where the bundle's images are " +
            "(the registry they were pushed to, or the layout that holds them); relocation-mapping.json is not written.", inner);
}
