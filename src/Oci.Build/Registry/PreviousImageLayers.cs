using System.Collections.Concurrent;
using Oci.Build.Graph;
using Oci.Build.Images;
using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Oci;
using Oci.Build.Registry.Transfer;
using Oci.Build.Store;

namespace Oci.Build.Registry;

/// <summary>
/// The layers of the image a build replaces (ContainerPreviousImage, by default the pushed repository's first tag), read
/// from its registry: its manifest for the build's platform and its config's diff_ids say which compressed blob holds
/// which tar. Read once, and only when a layer misses the local cache. Nothing from there is trusted: a blob is kept only
/// when its digest and, decompressed as it downloads, its tar's digest are the ones this build computed; anything else
/// is built here as usual. An unreadable previous image (none yet, no access, offline) only means nothing is reused.
/// </summary>
public sealed class PreviousImageLayers(RegistrySettings settings, IBuildLog log, string reference, Platform platform, string? pushRegistry)
    : IPreviousLayers, IDisposable
{
    // Smaller blobs are fetched when a layer asks for them: they cost little, and are often never asked for (yesterday's
    // app layer, which a one-line change replaces).
    private const long FetchAheadMinimumBytes = 1 << 20;

    private readonly Lock _lock = new();
    private RegistryContext? _context;
    private RegistrySource? _source;
    private IReadOnlyDictionary<Digest, Descriptor>? _layers;
    private bool _loaded;
    // Set once _layers holds the answer (read without the lock: a builder polls it while it hashes).
    private bool _read;
    // One fetch per layer, whoever asks first (the fetch ahead, or a layer of the build): never two downloads of a blob.
    private readonly ConcurrentDictionary<Digest, Lazy<Task<Fetched>>> _fetches = new();
    private readonly ConcurrentBag<string> _temps = [];
    // As many fetches at once as cores: each is three stages, and many small layers (an app's packages) are round trips
    // as much as work; one at a time took twice as long for 40 package layers. The largest waiting goes first, so that
    // the longest fetch (decompressing it is most of its time) is not the one that starts last and keeps the build waiting.
    private readonly TransferGate _fetchGate = new(Math.Max(2, Environment.ProcessorCount));
    private readonly CancellationTokenSource _stop = new();
    private Task? _reading;
    private Task? _fetchingAhead;

    public string Description => reference;

    public bool HasLayers(LayerCompression compression) => Layers().Values.Any(l => Accepts(l.MediaType, compression));

    public bool IsRead => Volatile.Read(ref _read);

    public void StartReading() => _reading ??= Blocking(Layers);

    public void StartFetching(LayerCompression compression, long maximumTarSize, IReadOnlySet<Digest> except, ContentStore store) =>
        _fetchingAhead = Task.Run(() =>
        {
            // Admitted here, in order of size, so that the largest layers get the first slots whichever thread runs first.
            foreach (var (diffId, layer) in Layers().OrderByDescending(l => l.Value.Size))
            {
                if (!Accepts(layer.MediaType, compression) || except.Contains(layer.Digest) || layer.Size < FetchAheadMinimumBytes
                    || layer.Size > maximumTarSize + maximumTarSize / 64 + 65536) continue;
                if (!_fetches.TryAdd(diffId, new Lazy<Task<Fetched>>(() =>
                    {
                        var admitted = _fetchGate.EnterAsync(layer.Size, _stop.Token);
                        return Blocking(() => Fetch(layer, maximumTarSize, store, admitted));
                    }))) continue;
                _ = _fetches[diffId].Value;
                log.Detail($"  fetching {layer.Digest} ({ByteSize.Format(layer.Size)}) of {reference} ahead, while this build hashes its layers");
            }
        });

    public CachedLayer? TryStore(Digest diffId, long uncompressedSize, LayerCompression compression, ContentStore store, CancellationToken cancellationToken)
    {
        if (!Layers().TryGetValue(diffId, out var layer) || !Accepts(layer.MediaType, compression)) return null;
        // Compression never makes a tar much larger: a blob declared far larger than the tar it stands for is not it.
        if (layer.Size > uncompressedSize + uncompressedSize / 64 + 65536)
        {
            Mismatch(layer, $"it is declared {layer.Size} bytes for a tar of {uncompressedSize}");
            return null;
        }
        // A fetch ahead already under way (or done) is waited for; otherwise this thread fetches the layer itself.
        _fetchingAhead?.GetAwaiter().GetResult();
        var fetched = _fetches.GetOrAdd(diffId, _ => new Lazy<Task<Fetched>>(() => Task.FromResult(Fetch(layer, uncompressedSize, store, null, cancellationToken))))
            .Value.GetAwaiter().GetResult();
        if (fetched.Failure is { } failure)
        {
            if (fetched.NotTheBlob) Mismatch(layer, failure);
            else log.Info($"  layer {diffId} not reused from {reference} ({failure}): compressed here.");
            return null;
        }
        if (fetched.TarSize != uncompressedSize)
        {
            Mismatch(layer, $"it holds a tar of {(fetched.TarSize > uncompressedSize ? "more than " : "")}{fetched.TarSize} bytes, not {uncompressedSize}");
            return null;
        }
        if (fetched.TarDigest != diffId)
        {
            Mismatch(layer, $"its tar is {fetched.TarDigest}, not {diffId}");
            return null;
        }
        // Two layers of one build may be the same tar: the first moves the fetched file into the store, the second finds it there.
        lock (_lock)
        {
            if (File.Exists(fetched.TempFile)) store.Store(fetched.TempFile!, layer.Digest);
        }
        log.Info($"  layer {diffId} reused from {reference}: {layer.Digest} ({ByteSize.Format(layer.Size)}), not compressed here");
        return new CachedLayer(diffId, uncompressedSize, layer.Digest, layer.Size, compression.MediaType);
    }

    /// <summary>
    /// Downloads one layer into a store temp file, checking its digest, and decompresses it as it arrives to learn its tar's
    /// digest and size, reading at most one byte past <paramref name="maximumTarSize"/> (a decompression bomb stops there).
    /// A few fetches at a time (<see cref="_fetchGate"/>): in the background, they share the machine with the build's own hashing.
    /// </summary>
    /// <param name="admitted">The fetch's slot, asked for by the caller; null: asked for here.</param>
    private Fetched Fetch(Descriptor layer, long maximumTarSize, ContentStore store, Task<IDisposable>? admitted, CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var temp = store.NewTempFile();
        _temps.Add(temp);
        try
        {
            using (var slot = (admitted ?? _fetchGate.EnterAsync(layer.Size, stop.Token)).GetAwaiter().GetResult())
            {
                using var remote = _source!.OpenBlobAsync(layer, stop.Token).GetAwaiter().GetResult();
                var (tarDigest, tarSize) = LayerDownload.Run(remote, layer.MediaType, temp, maximumTarSize, stop.Token);
                return new Fetched(temp, tarDigest, tarSize, null, false);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException || ex is OciException { Code: ErrorCodes.RegistryDigestMismatch })
        {
            // Not gzip/zstd at all, or not the bytes its digest names: this build compresses the layer itself.
            File.Delete(temp);
            return new Fetched(null, null, 0, ex.Message, true);
        }
        catch (Exception ex) when (ex is OciException or IOException or HttpRequestException or OperationCanceledException)
        {
            // The download failed (the network, the registry): nothing wrong with the image, the layer is built here.
            File.Delete(temp);
            return new Fetched(null, null, 0, ex.Message, false);
        }
    }

    public void Dispose()
    {
        // Fetches nobody asked for are stopped and their files removed (a reused one was moved into the store already).
        _stop.Cancel();
        _reading?.ContinueWith(_ => { }, TaskScheduler.Default).Wait();
        _fetchingAhead?.ContinueWith(_ => { }, TaskScheduler.Default).Wait();
        foreach (var fetch in _fetches.Values.Where(f => f.IsValueCreated)) fetch.Value.ContinueWith(_ => { }, TaskScheduler.Default).Wait();
        foreach (var temp in _temps) File.Delete(temp);
        _stop.Dispose();
        _source?.Dispose();
        _context?.Dispose();
    }

    private void Mismatch(Descriptor layer, string why) =>
        log.Warning(ErrorCodes.PreviousLayerMismatch, $"Layer {layer.Digest} of the previous image {reference} was not reused: {why}. It was built here instead.");

    /// <summary>
    /// Work that blocks (on the network, on its own pipeline's stages) runs on a thread of its own: a few of them on
    /// thread-pool threads starve the pool of the threads their own downloads' continuations need, in a process that
    /// starts with as few as it has cores. Measured on 2 cores: three fetches at once took 1.15 s that way, 0.83 s this way.
    /// </summary>
    private static Task<T> Blocking<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Same bytes, other names: a Docker gzip layer is an OCI gzip layer.</summary>
    private static bool Accepts(string mediaType, LayerCompression compression) =>
        MediaTypes.ToOciLayer(mediaType) == compression.MediaType;

    /// <summary>diff_id -> the previous image's layer; empty when it cannot be read. Read once, by the first layer that asks.</summary>
    private IReadOnlyDictionary<Digest, Descriptor> Layers()
    {
        lock (_lock)
        {
            if (!_loaded)
            {
                _loaded = true;
                _layers = Load();
                Volatile.Write(ref _read, true);
            }
            return _layers ?? new Dictionary<Digest, Descriptor>();
        }
    }

    private Dictionary<Digest, Descriptor>? Load()
    {
        try
        {
            var parsed = ImageReference.Parse(reference);
            var name = settings.CreateResolver(log).ResolvePull(parsed);
            _context = settings.CreateContext(pushRegistry is null ? null : RegistryEndpoint.ApiHost(pushRegistry), name.Primary.Endpoint.Host);
            _source = new RegistrySource(name.Locations.Select(l => new RegistryRepository(_context.ClientFor(l.Endpoint), l.Repository)).ToList(), log, reference);
            var root = _source.ResolveAsync(parsed.ManifestReference, _stop.Token).GetAwaiter().GetResult();
            var (descriptor, manifest, config) = ManifestSelector.Select(new ImageSourceBlobs(_source), root, platform);
            var diffIds = config["rootfs"]!["diff_ids"]!.AsArray().Select(n => Digest.Parse(n!.GetValue<string>())).ToList();
            var layers = new Dictionary<Digest, Descriptor>();
            for (var i = 0; i < diffIds.Count; i++) layers.TryAdd(diffIds[i], manifest.Layers[i]);
            log.Detail($"Previous image {reference} -> {descriptor.Digest}: {layers.Count} layers it holds may be reused");
            return layers;
        }
        catch (OciException ex) when (ex.Code is ErrorCodes.RegistryManifestNotFound or ErrorCodes.ImageNotFound)
        {
            log.Detail($"No previous image at {reference} (a first push?): every new layer is compressed here.");
            return null;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return null;   // the build ended (failed) while the previous image was still being read
        }
        catch (Exception ex) when (ex is OciException or IOException or HttpRequestException or FormatException or InvalidOperationException)
        {
            log.Info($"The previous image {reference} was not read ({ex.Message}): every new layer is compressed here.");
            return null;
        }
    }

    /// <summary>A fetched layer: its file (in the store's scratch) and its tar's digest and size; or why there is none.</summary>
    private sealed record Fetched(string? TempFile, Digest? TarDigest, long TarSize, string? Failure, bool NotTheBlob);
}
