using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>One image to copy: its root (manifest or index) and the tags to give it in the sink (none: by digest only).</summary>
public sealed record CopyRoot(Descriptor Descriptor, IReadOnlyList<string> Tags);

public sealed record CopyOptions
{
    /// <summary>Blobs transferred at the same time.</summary>
    public int Parallelism { get; init; } = 3;

    /// <summary>Shared with copies running beside this one (a bundle's images): then it, not <see cref="Parallelism"/>, limits the transfers.</summary>
    public TransferGate? Gate { get; init; }

    /// <summary>
    /// Per-layer hook (encrypt, decrypt): given the layer and the sink, it either puts a replacement into the sink and
    /// returns its descriptor, or returns null to copy the layer unchanged. With a hook, manifests whose layers changed
    /// are rewritten (as OCI manifests naming the same configs) and so are the indexes above them; layers go one at a
    /// time. Null: digest-preserving, byte for byte.
    /// </summary>
    public LayerTransform? TransformLayer { get; init; }

    /// <summary>Runs after everything is in the sink and before it is committed: a last check that may still refuse.</summary>
    public Action? BeforeCommit { get; init; }

    /// <summary>
    /// Also copy what is attached to the images by digest-derived tags (cosign signatures, the referrers tag with SBOMs),
    /// under the same tags, so they keep naming the copied digests. Ignored with <see cref="TransformLayer"/>: a rewritten
    /// image has new digests, which the old signatures do not name (what the roots themselves attach is carried over as
    /// the rewrite describes).
    /// </summary>
    public bool IncludeAttached { get; init; }

    /// <summary>Bytes and blobs moved so far, reported as blob streams are read (from parallel tasks: the receiver must be thread-safe).</summary>
    public IProgress<CopyProgress>? Progress { get; init; }
}

/// <summary>Puts a replacement for <paramref name="layer"/> into <paramref name="sink"/> and returns it, or returns null to keep the layer.</summary>
public delegate Task<Descriptor?> LayerTransform(BlobContent layer, IImageSink sink, CancellationToken cancellationToken);

/// <summary>What a copy did: every blob's outcome and how many manifests were written (references already right are not).</summary>
public sealed record CopyResult(ImageGraph Graph, IReadOnlyList<BlobPushResult> Blobs, int ManifestsWritten)
{
    /// <summary>Old document digest -> new descriptor, for every manifest or index a layer transform rewrote.</summary>
    public IReadOnlyDictionary<Digest, Descriptor> Rewritten { get; init; } = new Dictionary<Digest, Descriptor>();

    /// <summary>Documents a layer transform left out: what was attached to a rewritten document by cosign's tags (its signatures).</summary>
    public IReadOnlySet<Digest> Dropped { get; init; } = new HashSet<Digest>();

    public long BytesSent => Blobs.Sum(b => b.BytesSent);
    public int Count(BlobOutcome outcome) => Blobs.Count(b => b.Outcome == outcome);
}

/// <summary>
/// The one copy engine: any <see cref="IImageSource"/> to any <see cref="IImageSink"/>. Digest-preserving (manifests and
/// blobs byte for byte, never recompressed), verified while streaming (sources hand out verifying streams), parallel for
/// layers, skipping what the sink has (the sink checks before it writes), children before parents, tags last, then commit.
/// </summary>
public static class ImageCopier
{
    public static async Task<CopyResult> CopyAsync(IImageSource source, IImageSink sink, IReadOnlyList<CopyRoot> roots, CopyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new CopyOptions();
        if (options.TransformLayer is { } transformLayer)
        {
            // A rewrite must know what became of a subject before it reaches what is attached to it: images first, then
            // the referrers tags (which rewrite the SBOM manifests), then cosign's tags (signatures of images and of SBOMs).
            roots = roots.OrderBy(r => r.Tags.Count > 0 && r.Tags.All(AttachedObjects.IsAttachedTag) ? r.Tags.All(AttachedObjects.IsReferrersTag) ? 1 : 2 : 0).ToList();
            var walked = await ImageWalker.WalkAsync(source, roots.Select(r => r.Descriptor).ToList(), cancellationToken).ConfigureAwait(false);
            return await RewriteAsync(source, sink, roots, walked, transformLayer, options.BeforeCommit, cancellationToken).ConfigureAwait(false);
        }

        var graph = await ImageWalker.WalkAsync(source, roots.Select(r => r.Descriptor).ToList(), cancellationToken).ConfigureAwait(false);
        var gate = options.Gate ?? new TransferGate(options.Parallelism);
        CopyProgressCounter? progress = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var puts = new Dictionary<Digest, Task<BlobPushResult>>();
        async Task<BlobPushResult> Put(GraphBlob blob)
        {
            using var slot = await gate.EnterAsync(blob.Descriptor.Size, stop.Token).ConfigureAwait(false);
            var content = BlobContent.From(source, blob.Descriptor);
            return progress is null
                ? await sink.PutBlobAsync(content, stop.Token).ConfigureAwait(false)
                : await progress.TrackAsync(content, tracked => sink.PutBlobAsync(tracked, stop.Token)).ConfigureAwait(false);
        }

        // Every blob in parallel, largest first: the longest transfer starts at once and the small ones fill the other
        // slots beside it (the gate lets the largest waiting in first).
        void StartPuts(ImageGraph walked)
        {
            var fresh = walked.Blobs.Where(b => !puts.ContainsKey(b.Descriptor.Digest) && !(b.Role != "config" && sink.SkipsForeignLayers && IsForeign(b.Descriptor)))
                .OrderByDescending(b => b.Descriptor.Size).ThenBy(b => b.Descriptor.Digest.ToString(), StringComparer.Ordinal).ToList();
            if (options.Progress is { } report && progress is null)
            {
                progress = new CopyProgressCounter(report, fresh.Sum(b => b.Descriptor.Size), fresh.Count);
                progress.Start();
            }
            else progress?.Grow(fresh.Sum(b => b.Descriptor.Size), fresh.Count);
            foreach (var blob in fresh) puts[blob.Descriptor.Digest] = Put(blob);
        }

        StartPuts(graph);
        ExpectManifests(sink, graph, roots);
        if (options.IncludeAttached)
        {
            try
            {
                // What is attached to the images (signatures, SBOMs) is looked for while their blobs already move; the
                // graph is then walked again with it, without reading the images' documents a second time.
                var attached = await AttachedObjects.FindAsync(source, graph, cancellationToken).ConfigureAwait(false);
                if (attached.Count > 0)
                {
                    roots = [.. roots, .. attached];
                    graph = await ImageWalker.WalkAsync(source, roots.Select(r => r.Descriptor).ToList(), cancellationToken, read: graph).ConfigureAwait(false);
                    StartPuts(graph);
                    ExpectManifests(sink, graph, roots);
                }
            }
            catch
            {
                // The transfers already started stop, and what failed here is what is reported.
                await stop.CancelAsync().ConfigureAwait(false);
                await ((Task)Task.WhenAll(puts.Values)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }
        }
        var results = (await Task.WhenAll(puts.Values).ConfigureAwait(false)).ToList();
        var written = await PutManifestsAsync(sink, graph, roots, cancellationToken).ConfigureAwait(false);
        options.BeforeCommit?.Invoke();
        await sink.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new CopyResult(graph, results, written);
    }

    /// <summary>A manifest or index as it will be put: a root with its tags, any other document by digest only (null).</summary>
    private sealed record ManifestPut(Descriptor Descriptor, byte[] Content, IReadOnlyList<string>? Tags);

    // A class and plain loops here, not tuples: every instantiation of the framework's generics over a value type (a
    // tuple, a struct) is code that each build process JIT-compiles (ReadyToRun cannot precompile it). Measured: a first
    // version of this with tuples and LINQ over them JIT-compiled 98 more methods in a warm push, more than its round
    // trips saved on a loopback registry.
    private static List<ManifestPut> Manifests(ImageGraph graph, IReadOnlyList<CopyRoot> roots)
    {
        var rootDigests = roots.Select(r => r.Descriptor.Digest).ToHashSet();
        var manifests = new List<ManifestPut>();
        foreach (var document in graph.Documents)
            if (!rootDigests.Contains(document.Descriptor.Digest)) manifests.Add(new ManifestPut(document.Descriptor, document.Content, null));
        foreach (var group in roots.GroupBy(r => r.Descriptor.Digest))
            manifests.Add(new ManifestPut(group.First().Descriptor, graph.Document(group.Key).Content, group.SelectMany(r => r.Tags).Distinct().ToList()));
        return manifests;
    }

    private static void ExpectManifests(IImageSink sink, ImageGraph graph, IReadOnlyList<CopyRoot> roots)
    {
        foreach (var manifest in Manifests(graph, roots)) sink.ExpectManifest(manifest.Descriptor, manifest.Tags);
    }

    /// <summary>
    /// Children before parents, tags last: one after another, or, where the sink takes them concurrently, each as soon as
    /// the documents it names are in: an index's manifests, and a referrer's subject when this copy writes it (the spec has
    /// registries accept a referrer first, but GitLab's, for one, refused a missing subject until a 2025 flag, off by default).
    /// </summary>
    private static async Task<int> PutManifestsAsync(IImageSink sink, ImageGraph graph, IReadOnlyList<CopyRoot> roots, CancellationToken cancellationToken)
    {
        var manifests = Manifests(graph, roots);
        var written = 0;
        if (!sink.PutsManifestsConcurrently)
        {
            foreach (var manifest in manifests)
                if (await sink.PutManifestAsync(manifest.Descriptor, manifest.Content, manifest.Tags, cancellationToken).ConfigureAwait(false)) written++;
            return written;
        }

        var byDigest = new Dictionary<Digest, ManifestPut>();
        foreach (var manifest in manifests) byDigest[manifest.Descriptor.Digest] = manifest;
        var puts = new Dictionary<Digest, Task<bool>>();
        Task<bool> Put(ManifestPut manifest)
        {
            if (puts.TryGetValue(manifest.Descriptor.Digest, out var started)) return started;
            var document = graph.Document(manifest.Descriptor.Digest);
            var named = new List<Task>();   // named by content digest: no cycle
            foreach (var child in document.Index?.Manifests ?? [])
                if (byDigest.TryGetValue(child.Digest, out var put)) named.Add(Put(put));
            if (document.Manifest?.Subject is { } subject && byDigest.TryGetValue(subject.Digest, out var subjectPut)) named.Add(Put(subjectPut));
            return puts[manifest.Descriptor.Digest] = PutAfter(named, manifest);
        }
        async Task<bool> PutAfter(List<Task> named, ManifestPut manifest)
        {
            await Task.WhenAll(named).ConfigureAwait(false);
            return await sink.PutManifestAsync(manifest.Descriptor, manifest.Content, manifest.Tags, cancellationToken).ConfigureAwait(false);
        }
        var all = new List<Task>();
        foreach (var manifest in manifests) all.Add(Put(manifest));
        await Task.WhenAll(all).ConfigureAwait(false);
        foreach (var put in puts.Values)
            if (put.Result) written++;
        return written;
    }

    /// <summary>
    /// The copy with a layer transform: per manifest (children first) each layer is offered to the hook once; a manifest
    /// with a replaced layer is written anew, and so is every index above it. Untouched documents keep their bytes.
    /// What the roots attach to a rewritten image follows it: a referrer (the SBOM) is written anew with its
    /// <c>subject</c> naming the new digest, and its referrers index under the new digest's tag (the old tag would name a
    /// digest the output no longer has); cosign's signature and attestation tags of a rewritten document are left out,
    /// since a signature cannot be re-made here and the old one names a digest the output no longer has.
    /// </summary>
    private static async Task<CopyResult> RewriteAsync(IImageSource source, IImageSink sink, IReadOnlyList<CopyRoot> roots, ImageGraph graph,
        LayerTransform transform, Action? beforeCommit, CancellationToken cancellationToken)
    {
        var results = new List<BlobPushResult>();
        var layers = new Dictionary<Digest, Descriptor>();
        var rewritten = new Dictionary<Digest, Descriptor>();
        var rewrittenContent = new Dictionary<Digest, byte[]>();
        var written = 0;
        var rootDigests = roots.Select(r => r.Descriptor.Digest).ToHashSet();
        async Task<Descriptor> Layer(Descriptor layer)
        {
            if (layers.TryGetValue(layer.Digest, out var done)) return done;
            var content = BlobContent.From(source, layer);
            if (await transform(content, sink, cancellationToken).ConfigureAwait(false) is { } replaced) return layers[layer.Digest] = replaced;
            results.Add(await sink.PutBlobAsync(content, cancellationToken).ConfigureAwait(false));
            return layers[layer.Digest] = layer;
        }

        // The tags a root keeps: a referrers tag moves to its subject's new digest; cosign's tags of a rewritten subject go.
        List<string> Tags(IEnumerable<CopyRoot> group) => group.SelectMany(r => r.Tags).Distinct()
            .Select(tag => !AttachedObjects.TryParseTag(tag, out var subject, out var suffix) || !rewritten.TryGetValue(subject, out var moved) ? tag
                : suffix.Length == 0 ? AttachedObjects.ReferrersTag(moved.Digest) : null)
            .OfType<string>().ToList();
        // An attached root all of whose tags went (a signature of a rewritten image): neither it nor its blobs are written,
        // unless some index lists it (then it is part of an image, whatever its tags say).
        var dropped = new HashSet<Digest>();
        var listed = graph.Documents.Where(d => d.Index is not null).SelectMany(d => d.Index!.Manifests).Select(m => m.Digest).ToHashSet();
        bool LeftOut(Digest digest)
        {
            var group = roots.Where(r => r.Descriptor.Digest == digest).ToList();
            return group.Count > 0 && !listed.Contains(digest) && group.All(r => r.Tags.Count > 0 && r.Tags.All(AttachedObjects.IsAttachedTag)) && Tags(group).Count == 0;
        }

        foreach (var document in graph.Documents)
        {
            var descriptor = document.Descriptor;
            var content = document.Content;
            if (rootDigests.Contains(descriptor.Digest) && LeftOut(descriptor.Digest))
            {
                dropped.Add(descriptor.Digest);
                continue;
            }
            if (document.Manifest is { } manifest)
            {
                var newLayers = new List<Descriptor>();
                foreach (var layer in manifest.Layers) newLayers.Add(await Layer(layer).ConfigureAwait(false));
                results.Add(await sink.PutBlobAsync(BlobContent.From(source, manifest.Config), cancellationToken).ConfigureAwait(false));
                var layersChanged = !newLayers.SequenceEqual(manifest.Layers);
                // A referrer of a rewritten image names the new one (the roots are ordered so that the image came first).
                var subject = manifest.Subject is { } old && rewritten.TryGetValue(old.Digest, out var moved)
                    ? old with { MediaType = moved.MediaType, Digest = moved.Digest, Size = moved.Size }
                    : manifest.Subject;
                if (layersChanged)
                {
                    // Changed layers live only in OCI manifests; a Docker manifest becomes the OCI one naming the same bytes.
                    content = OciJson.Serialize(manifest with
                    {
                        MediaType = MediaTypes.OciManifest,
                        Config = manifest.Config.MediaType == MediaTypes.DockerConfig ? manifest.Config with { MediaType = MediaTypes.OciConfig } : manifest.Config,
                        Layers = newLayers.Select(l => l with { MediaType = MediaTypes.ToOciLayer(l.MediaType) }).ToList(),
                        Subject = subject,
                    });
                    descriptor = descriptor with { MediaType = MediaTypes.OciManifest, Digest = Digest.Of(content), Size = content.Length };
                }
                else if (subject != manifest.Subject)
                {
                    content = OciJson.Serialize(manifest with { Subject = subject });
                    descriptor = descriptor with { Digest = Digest.Of(content), Size = content.Length };
                }
            }
            else if (document.Index is { } index)
            {
                var children = index.Manifests.Select(c => rewritten.TryGetValue(c.Digest, out var n) ? c with { MediaType = n.MediaType, Digest = n.Digest, Size = n.Size } : c).ToList();
                if (!children.SequenceEqual(index.Manifests))
                {
                    content = OciJson.Serialize(index with { MediaType = MediaTypes.OciIndex, Manifests = children });
                    descriptor = descriptor with { MediaType = MediaTypes.OciIndex, Digest = Digest.Of(content), Size = content.Length };
                }
            }
            if (descriptor.Digest != document.Descriptor.Digest)
            {
                rewritten[document.Descriptor.Digest] = descriptor;
                rewrittenContent[document.Descriptor.Digest] = content;
            }
            if (rootDigests.Contains(document.Descriptor.Digest)) continue; // roots go with their tags below
            if (await sink.PutManifestAsync(descriptor, content, null, cancellationToken).ConfigureAwait(false)) written++;
        }
        foreach (var group in roots.GroupBy(r => r.Descriptor.Digest).Where(g => !dropped.Contains(g.Key)))
        {
            var document = graph.Document(group.Key);
            var root = group.First().Descriptor;
            var (descriptor, content) = rewritten.TryGetValue(group.Key, out var n)
                ? (root with { MediaType = n.MediaType, Digest = n.Digest, Size = n.Size }, rewrittenContent[group.Key])
                : (root, document.Content);
            if (await sink.PutManifestAsync(descriptor, content, Tags(group), cancellationToken).ConfigureAwait(false)) written++;
        }
        beforeCommit?.Invoke();
        await sink.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new CopyResult(graph, results, written) { Rewritten = rewritten, Dropped = dropped };
    }

    /// <summary>Non-distributable layers live at their URLs, not in registries.</summary>
    public static bool IsForeign(Descriptor layer) =>
        layer.Urls is { Count: > 0 } && (layer.MediaType.Contains("nondistributable", StringComparison.Ordinal) || layer.MediaType.Contains("foreign", StringComparison.Ordinal));
}
