using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Signing;

namespace Oci.Build.Registry.Transfer;

/// <summary>A manifest (or index) to push, and the tag to give it (null: by digest only).</summary>
public sealed record TaggedManifest(Descriptor Manifest, string? Tag);

public sealed record PushOptions
{
    /// <summary>Blobs uploaded at the same time.</summary>
    public int MaxParallelUploads { get; init; } = 3;
    public UploadOptions Upload { get; init; } = new();
}

/// <summary>What a push did, blob by blob; the totals are what the build log reports.</summary>
public sealed record PushResult(string Repository, IReadOnlyList<BlobPushResult> Blobs, IReadOnlyList<TaggedManifest> Manifests, int ManifestsWritten)
{
    public long BytesUploaded => Blobs.Sum(b => b.BytesSent);
    public int Count(BlobOutcome outcome) => Blobs.Count(b => b.Outcome == outcome);
}

public sealed record LayoutPushRequest
{
    public required string LayoutPath { get; init; }
    /// <summary>The registry to push to (<c>ContainerRegistry</c>), <c>host[:port]</c>.</summary>
    public required string Registry { get; init; }
    public required string Repository { get; init; }
    /// <summary>Tags to push; empty: the layout's own tags (<c>org.opencontainers.image.ref.name</c>).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    public PushOptions Options { get; init; } = new();
    /// <summary>Sign every image pushed (cosign format, tag <c>sha256-HEX.sig</c>); null: unsigned.</summary>
    public SigningOptions? Signing { get; init; }
}

public sealed record LayoutPushResult(IReadOnlyList<string> References, Digest ManifestDigest, PushResult Push);

/// <summary>
/// Pushes an image layout to <c>registry/repository</c> with its tags: resolves where the name really goes
/// (registries.conf, delegation, hosts.toml), mounts from the base image's repository when it is on the same registry,
/// and reports what was sent. The transfer itself is a copy from the layout to the repository (<see cref="ImageCopier"/>).
/// </summary>
public sealed class LayoutPusher(RegistrySettings settings, IBuildLog log)
{
    public LayoutPushResult Push(LayoutPushRequest request, CancellationToken cancellationToken = default)
    {
        var registry = request.Registry.Trim().TrimEnd('/');
        if (registry.Contains("://", StringComparison.Ordinal))
            throw new OciException(ErrorCodes.InvalidPushSetting, $"ContainerRegistry '{request.Registry}' must be a host name (host[:port]), without http:// or https://.");
        if (!ImageReference.TryParse($"{registry}/{request.Repository}", out var target, out var error) || target!.Registry != registry)
            throw new OciException(ErrorCodes.InvalidRegistryReference,
                $"'{registry}/{request.Repository}' is not a valid push target ({error ?? "the registry must be a host name such as registry.example.com or localhost:5000"}).");

        var layout = OciLayout.Open(request.LayoutPath);
        var manifests = SelectManifests(layout, request.Tags);
        var resolver = settings.CreateResolver(log);
        var resolved = resolver.ResolvePush(target);
        var primary = resolved.Primary;

        using var context = settings.CreateContext(pushHost: primary.Endpoint.Host, pullHost: null);
        var mountSources = MountSources(layout, manifests, resolver, primary);
        using var source = new LayoutSource(layout);
        using var sink = new RegistrySink(context.ClientFor(primary.Endpoint), primary.Repository, mountSources, log, request.Options.Upload);
        var roots = manifests.GroupBy(m => m.Manifest.Digest)
            .Select(g => new CopyRoot(g.First().Manifest, g.Select(m => m.Tag).OfType<string>().ToList())).ToList();
        // Signatures are made before anything is sent: a key or signer that fails stops the push with nothing pushed.
        var signatures = request.Signing is { } signing
            ? ImageSigning.PrepareAsync(signing, source, target.Name, roots, cancellationToken).GetAwaiter().GetResult()
            : [];
        var copy = ImageCopier.CopyAsync(source, sink, roots, new CopyOptions { Parallelism = request.Options.MaxParallelUploads, IncludeAttached = true }, cancellationToken)
            .GetAwaiter().GetResult();
        foreach (var signature in signatures)
        {
            signature.PutAsync(sink, cancellationToken).GetAwaiter().GetResult();
            log.Info($"Signed {target.Name}@{signature.Tag} with {request.Signing!.Signer.Description}");
        }
        var result = new PushResult(primary.Repository, copy.Blobs, manifests, copy.ManifestsWritten);

        var references = manifests.Select(m => m.Tag is null ? $"{target.Name}@{m.Manifest.Digest}" : $"{target.Name}:{m.Tag}").ToList();
        var where = primary.ToString() == target.Name ? "" : $" (at {primary})";
        log.Info($"Pushed {string.Join(", ", references)}{where} -> {manifests[0].Manifest.Digest}");
        log.Info($"  blobs: {result.Blobs.Count} ({result.Count(BlobOutcome.Uploaded)} uploaded, {result.Count(BlobOutcome.Mounted)} mounted, " +
                 $"{result.Count(BlobOutcome.Existed)} already there); manifests written: {result.ManifestsWritten}");
        log.Info($"  blob bytes uploaded: {result.BytesUploaded} ({ByteSize.Format(result.BytesUploaded)})");
        return new LayoutPushResult(references, manifests[0].Manifest.Digest, result);
    }

    private static List<TaggedManifest> SelectManifests(OciLayout layout, IReadOnlyList<string> tags)
    {
        if (AttachedObjects.Images(layout.Index).Count == 0)
            throw new OciException(ErrorCodes.InvalidLayout, $"{layout.Description} holds no image to push.");
        // Attached objects (signatures, the SBOM's referrers tag) are not images of their own: they go with their image.
        if (tags.Count == 0)
            return AttachedObjects.Images(layout.Index).Select(m => new TaggedManifest(Plain(m), m.Annotation(AnnotationKeys.RefName))).ToList();
        var distinct = AttachedObjects.Images(layout.Index).DistinctBy(m => m.Digest).ToList();
        return tags.Select(tag =>
        {
            var entry = layout.Index.Manifests.FirstOrDefault(m => m.Annotation(AnnotationKeys.RefName) == tag)
                ?? (distinct.Count == 1 ? distinct[0] : throw new OciException(ErrorCodes.InvalidPushSetting,
                    $"{layout.Description} holds {distinct.Count} images and none is tagged '{tag}'; name tags the layout has ({string.Join(", ", layout.ImageTags())})."));
            if (!ImageReference.IsValidTag(tag))
                throw new OciException(ErrorCodes.InvalidPushSetting, $"'{tag}' is not a valid tag.");
            return new TaggedManifest(Plain(entry), tag);
        }).ToList();
    }

    /// <summary>The descriptor as pushed: the layout's ref.name annotation belongs to index.json, not to the registry.</summary>
    private static Descriptor Plain(Descriptor entry) => entry with { Annotations = null };

    /// <summary>The image manifests under the roots: a multi-platform image's index lists one per platform, each with its base.</summary>
    private static IEnumerable<Descriptor> ImageManifests(OciLayout layout, IEnumerable<Descriptor> roots, int depth = 0)
    {
        foreach (var root in roots)
        {
            if (MediaTypes.IsManifest(root.MediaType))
                yield return root;
            else if (MediaTypes.IsIndex(root.MediaType) && depth < 4)
            {
                var index = OciJson.Deserialize<ImageIndex>(layout.ReadDocument(root, "image index"), "image index");
                foreach (var child in ImageManifests(layout, index.Manifests, depth + 1)) yield return child;
            }
        }
    }

    /// <summary>The base image's repository, when it lives on the registry being pushed to (same host after resolution).</summary>
    private List<string> MountSources(OciLayout layout, IReadOnlyList<TaggedManifest> manifests, RegistryResolver resolver, RegistryLocation target)
    {
        var sources = new List<string>();
        foreach (var manifest in ImageManifests(layout, manifests.Select(m => m.Manifest)).DistinctBy(m => m.Digest))
        {
            var document = OciJson.Deserialize<ImageManifest>(layout.ReadDocument(manifest, "image manifest"), "image manifest");
            var baseName = document.Annotations?.GetValueOrDefault(AnnotationKeys.BaseName);
            if (baseName is null || !ImageReference.TryParse(baseName, out var baseReference, out _)) continue;
            try
            {
                var basePrimary = resolver.ResolvePull(baseReference!).Primary;
                if (string.Equals(basePrimary.Endpoint.Host, target.Endpoint.Host, StringComparison.OrdinalIgnoreCase))
                    sources.Add(basePrimary.Repository);
            }
            catch (OciException ex)
            {
                log.Detail($"Not mounting from the base {baseName}: {ex.Message}");
            }
        }
        return sources.Distinct().ToList();
    }
}
