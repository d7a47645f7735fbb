using System.Security.Cryptography;
using System.Text;
using Oci.Build.Store;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Layers;

/// <summary>
/// Builds layer blobs into a <see cref="ContentStore"/>, doing as little as the cache allows:
/// an unchanged entry list costs nothing; unchanged content costs one tar+hash pass; content the previous image already
/// holds (<see cref="IPreviousLayers"/>, a fresh runner's case; layers of 1 MiB or more) costs that pass and a download; only new content is
/// compressed. Tar, hash and compression stream through each other, so memory stays bounded whatever the layer's size.
/// </summary>
public sealed class LayerBuilder(ContentStore cache, LayerCompression compression, TarSettings tar, IPreviousLayers? previous = null)
{
    // Bumped whenever the tar format this builder writes changes, so old selectors stop matching.
    private const string FormatVersion = "oci-build-tar-1";

    // Below this much content a layer is compressed rather than looked up in the previous image: compressing 1 MiB takes
    // about as long as one registry round trip, and the lookup costs several (manifest, config, then the blob).
    private const long PreviousImageMinimumBytes = 1 << 20;

    /// <summary>
    /// Builds every layer of a plan at the same time (independent layers, independent blobs), keeping the plan's order in
    /// the result. Each layer's compression is itself parallel, so a plan of one huge layer uses every core too.
    /// </summary>
    public IReadOnlyList<BuiltLayer> BuildAll(IReadOnlyList<LayerSpec> layers)
    {
        if (layers.Count <= 1) return layers.Select(Build).ToList();
        // Long-running: each layer's thread blocks on its compression workers, which must not starve for pool threads.
        var tasks = layers.Select(layer => Task.Factory.StartNew(() => Build(layer), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        // Wait for all (no layer is left writing into the cache), then report the first layer's error as it would be
        // reported if layers were built one after the other.
        Task.WhenAll(tasks).ContinueWith(_ => { }, TaskScheduler.Default).Wait();
        return tasks.Select(t => t.GetAwaiter().GetResult()).ToList();
    }

    /// <summary>
    /// On a fresh runner (nothing of this compression in the cache yet), starts reading the previous image while the
    /// caller resolves the base and plans the layers. With a cache, the previous image is read only if a layer misses it.
    /// </summary>
    public void StartReadingPrevious()
    {
        if (previous is not null && !cache.HasCompressed(compression)) previous.StartReading();
    }

    /// <summary>
    /// On a fresh runner (nothing of this compression in the cache yet), starts fetching the previous image's layers in the
    /// background before the build hashes its own tars (<see cref="IPreviousLayers.StartFetching"/>), so that the
    /// download and its check overlap that pass. With a cache, layers are asked for one by one when they miss it: a
    /// fetch ahead of time could then be wasted on a layer the cache holds.
    /// </summary>
    /// <param name="baseLayers">The base image's layers: the previous image holds them too, and they are not built here.</param>
    public void StartFetchingPrevious(IReadOnlyList<LayerSpec> layers, IReadOnlySet<Digest> baseLayers)
    {
        if (previous is null || cache.HasCompressed(compression)) return;
        // Bounds what a fetched layer may decompress to: the largest tar this build may ask for (headers and padding
        // are a few blocks per entry).
        var largest = layers.Where(l => l.Entries.Sum(e => e.Size) >= PreviousImageMinimumBytes)
            .Select(l => l.Entries.Sum(e => e.Size) + l.Entries.Count * 4096L + (1 << 20)).DefaultIfEmpty(0).Max();
        if (largest > 0) previous.StartFetching(compression, largest, baseLayers, cache);
    }

    public BuiltLayer Build(LayerSpec layer)
    {
        var selector = Selector(layer);
        if (cache.FindBySelector(selector) is { } unchanged)
            return ToBuilt(layer, unchanged, LayerOrigin.Unchanged);

        // A tar+hash pass is much cheaper than compressing, but it is a second read of every file. It pays off only when
        // the cache (files touched but unchanged) or the previous image may already hold this tar compressed; an empty
        // cache with nothing to ask skips it.
        Digest? expectedDiffId = null;
        var mayAskPrevious = previous is not null && layer.Entries.Sum(e => e.Size) >= PreviousImageMinimumBytes;
        var cacheHasCompressed = cache.HasCompressed(compression);
        // A fresh runner whose previous image is still being read hashes meanwhile: the read (round trips, most of a
        // tenth of a second) and the tar pass overlap instead of following each other, and the layers fetched ahead are
        // checked on a core this pass no longer holds. Abandoned as soon as the image turns out to hold nothing to ask.
        var hashedWhileReading = mayAskPrevious && !cacheHasCompressed && !previous!.IsRead
            ? HashTar(layer, abandonWhen: NothingToAsk(previous))
            : null;
        var askPrevious = mayAskPrevious && previous!.HasLayers(compression);
        if (askPrevious || cacheHasCompressed)
        {
            var (diffId, size) = hashedWhileReading ?? HashTar(layer)!;
            if (cache.FindByDiffId(diffId, compression) is { } known)
            {
                cache.Remember(selector, known, compression);
                return ToBuilt(layer, known, LayerOrigin.CompressedFromCache);
            }
            if (askPrevious && previous!.TryStore(diffId, size, compression, cache, CancellationToken.None) is { } fetched)
            {
                cache.Remember(selector, fetched, compression);
                return ToBuilt(layer, fetched, LayerOrigin.FromPreviousImage);
            }
            expectedDiffId = diffId;
        }
        else expectedDiffId = hashedWhileReading?.DiffId;   // finished before the read said there was nothing to ask

        var temp = cache.NewTempFile();
        CachedLayer built;
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var compressed = new DigestingStream(file, leaveOpen: true))
            {
                Digest writtenDiffId;
                long writtenSize;
                using (var compressor = compression.Compress(compressed))
                using (var plain = new DigestingStream(compressor, leaveOpen: true))
                {
                    LayerTarBuilder.Write(layer, plain, tar);
                    plain.Flush();
                    writtenDiffId = plain.Digest;
                    writtenSize = plain.BytesWritten;
                }
                if (expectedDiffId is not null && writtenDiffId != expectedDiffId)
                    throw new OciException(ErrorCodes.PublishFolder, $"The files of layer '{layer.Name}' changed while the layer was being written; publish again.");
                built = new CachedLayer(writtenDiffId, writtenSize, compressed.Digest, compressed.BytesWritten, compression.MediaType);
            }
            cache.Store(temp, built.Digest);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        cache.Remember(selector, built, compression);
        return ToBuilt(layer, built, LayerOrigin.Built);
    }

    private BuiltLayer ToBuilt(LayerSpec layer, CachedLayer cached, LayerOrigin origin) =>
        new(layer.Name,
            new Descriptor { MediaType = cached.MediaType, Digest = cached.Digest, Size = cached.Size },
            cached.DiffId, cached.UncompressedSize, cache.BlobPath(cached.Digest), origin);

    /// <summary>True once the previous image is read and holds no layer of this compression (asked once, then remembered).</summary>
    private Func<bool> NothingToAsk(IPreviousLayers previousLayers)
    {
        bool? nothing = null;
        return () =>
        {
            if (nothing is null && previousLayers.IsRead) nothing = !previousLayers.HasLayers(compression);
            return nothing == true;
        };
    }

    /// <summary>The layer's tar digest and size; null when <paramref name="abandonWhen"/> turned true before the end.</summary>
    private TarDigest? HashTar(LayerSpec layer, Func<bool>? abandonWhen = null)
    {
        using var sink = new DigestingStream(abandonWhen is null ? Stream.Null : new Abandonable(abandonWhen));
        try
        {
            LayerTarBuilder.Write(layer, sink, tar);
        }
        catch (OperationCanceledException) when (abandonWhen is not null && abandonWhen())
        {
            return null;
        }
        return new TarDigest(sink.Digest, sink.BytesWritten);
    }

    // A class, not a tuple: generic code over value types is compiled at run time in every build (see Digest).
    private sealed record TarDigest(Digest DiffId, long Size);

    /// <summary>Discards what is written, and stops the writer once the pass it serves has become pointless.</summary>
    private sealed class Abandonable(Func<bool> abandonWhen) : ForwardOnlyWriteStream
    {
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (abandonWhen()) throw new OperationCanceledException("The tar pass was abandoned: nothing to ask the previous image.");
        }

        public override void Flush() { }
    }

    /// <summary>A hash of everything that decides the layer's bytes without reading file contents (Jib's "selector").</summary>
    private string Selector(LayerSpec layer)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        Add(FormatVersion);
        Add($"{compression.Name} {tar.UnixTime} {tar.Uid} {tar.Gid}");
        foreach (var entry in layer.Entries.OrderBy(e => e.Path, StringComparer.Ordinal))
            Add($"{entry.Path}\0{entry.Kind}\0{entry.SourcePath}\0{entry.Size}\0{entry.SourceModifiedTicks}\0{entry.EffectiveMode}\0{entry.LinkTarget}" + (entry.Owner is { } owner ? $"\0{owner.Uid}:{owner.Gid}" : ""));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
