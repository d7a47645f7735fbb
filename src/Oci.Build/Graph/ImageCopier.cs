using Oci.Build.Oci;

namespace Oci.Build.Graph;

/// <summary>One image to copy: its root (manifest or index) and the tags to give it in the sink (none: by digest only).</summary>
public sealed record CopyRoot(Descriptor Descriptor, IReadOnlyList<string> Tags);

public sealed record CopyOptions
{
    /// <summary>Blobs transferred at the same time.</summary>
    public int Parallelism { get; init; } = 3;

    /// <summary>
    /// Per-blob hook, applied to layers before they reach the sink (encrypt, decrypt). It may change a layer's bytes (the
    /// documents that name it are then rewritten by the caller); null: digest-preserving, byte for byte.
    /// </summary>
    public Func<BlobContent, CancellationToken, Task<BlobContent>>? TransformLayer { get; init; }
}

/// <summary>What a copy did: every blob's outcome and how many manifests were written (references already right are not).</summary>
public sealed record CopyResult(ImageGraph Graph, IReadOnlyList<BlobPushResult> Blobs, int ManifestsWritten)
{
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
        var graph = await ImageWalker.WalkAsync(source, roots.Select(r => r.Descriptor).ToList(), cancellationToken).ConfigureAwait(false);
        var results = new List<BlobPushResult>();
        using var gate = new SemaphoreSlim(Math.Max(1, options.Parallelism));
        async Task<BlobPushResult> Put(GraphBlob blob)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var content = BlobContent.From(source, blob.Descriptor);
                if (blob.Role == "layer" && options.TransformLayer is { } transform)
                    content = await transform(content, cancellationToken).ConfigureAwait(false);
                return await sink.PutBlobAsync(content, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }

        // Layers in parallel, but one alone first: a registry sink then fetches its token (and grants) once, not per layer.
        var layers = graph.Blobs.Where(b => b.Role != "config" && !(sink.SkipsForeignLayers && IsForeign(b.Descriptor))).ToList();
        if (layers.Count > 0) results.Add(await Put(layers[0]).ConfigureAwait(false));
        results.AddRange(await Task.WhenAll(layers.Skip(1).Select(Put)).ConfigureAwait(false));
        foreach (var config in graph.Blobs.Where(b => b.Role == "config")) results.Add(await Put(config).ConfigureAwait(false));

        var written = 0;
        var rootDigests = roots.Select(r => r.Descriptor.Digest).ToHashSet();
        foreach (var document in graph.Documents.Where(d => !rootDigests.Contains(d.Descriptor.Digest)))
        {
            if (await sink.PutManifestAsync(document.Descriptor, document.Content, null, cancellationToken).ConfigureAwait(false)) written++;
        }
        foreach (var group in roots.GroupBy(r => r.Descriptor.Digest))
        {
            var document = graph.Document(group.Key);
            var tags = group.SelectMany(r => r.Tags).Distinct().ToList();
            if (await sink.PutManifestAsync(group.First().Descriptor, document.Content, tags, cancellationToken).ConfigureAwait(false)) written++;
        }
        await sink.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new CopyResult(graph, results, written);
    }

    /// <summary>Non-distributable layers live at their URLs, not in registries.</summary>
    public static bool IsForeign(Descriptor layer) =>
        layer.Urls is { Count: > 0 } && (layer.MediaType.Contains("nondistributable", StringComparison.Ordinal) || layer.MediaType.Contains("foreign", StringComparison.Ordinal));
}
