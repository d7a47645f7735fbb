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
    private readonly Lock _lock = new();
    private RegistryContext? _context;
    private RegistrySource? _source;
    private IReadOnlyDictionary<Digest, Descriptor>? _layers;
    private bool _loaded;

    public string Description => reference;

    public bool HasLayers(LayerCompression compression) => Layers().Values.Any(l => Accepts(l.MediaType, compression));

    public CachedLayer? TryStore(Digest diffId, long uncompressedSize, LayerCompression compression, ContentStore store, CancellationToken cancellationToken)
    {
        if (!Layers().TryGetValue(diffId, out var layer) || !Accepts(layer.MediaType, compression)) return null;
        // Compression never makes a tar much larger: a blob declared far larger than the tar it stands for is not it.
        if (layer.Size > uncompressedSize + uncompressedSize / 64 + 65536)
        {
            Mismatch(layer, $"it is declared {layer.Size} bytes for a tar of {uncompressedSize}");
            return null;
        }
        var temp = store.NewTempFile();
        try
        {
            Digest tarDigest;
            using (var remote = _source!.OpenBlobAsync(layer, cancellationToken).GetAwaiter().GetResult())
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var copy = new CopyingReadStream(remote, file);
                // At most one byte more than this build's tar: a decompression bomb stops there.
                using (var tar = new DigestingStream(Stream.Null))
                using (var plain = LayerCompression.Decompress(layer.MediaType, new NonClosingReadStream(copy)))
                {
                    var buffer = new byte[1 << 17];
                    int read;
                    while (tar.BytesWritten <= uncompressedSize && (read = plain.Read(buffer, 0, (int)Math.Min(buffer.Length, uncompressedSize + 1 - tar.BytesWritten))) > 0)
                        tar.Write(buffer, 0, read);
                    if (tar.BytesWritten != uncompressedSize)
                    {
                        Mismatch(layer, $"it holds a tar of {(tar.BytesWritten > uncompressedSize ? "more than " : "")}{tar.BytesWritten} bytes, not {uncompressedSize}");
                        return null;
                    }
                    tarDigest = tar.Digest;
                }
                // The rest of the blob (a gzip trailer, padding): the registry stream checks the digest at its end.
                copy.CopyTo(Stream.Null);
            }
            if (tarDigest != diffId)
            {
                Mismatch(layer, $"its tar is {tarDigest}, not {diffId}");
                return null;
            }
            store.Store(temp, layer.Digest);
            log.Info($"  layer {diffId} reused from {reference}: {layer.Digest} ({ByteSize.Format(layer.Size)}), not compressed here");
            return new CachedLayer(diffId, uncompressedSize, layer.Digest, layer.Size, compression.MediaType);
        }
        catch (Exception ex) when (ex is InvalidDataException || ex is OciException { Code: ErrorCodes.RegistryDigestMismatch })
        {
            // Not gzip/zstd at all, or not the bytes its digest names: this build compresses the layer itself.
            Mismatch(layer, ex.Message);
            return null;
        }
        catch (Exception ex) when (ex is OciException or IOException or HttpRequestException)
        {
            // The download failed (the network, the registry): nothing wrong with the image, the layer is built here.
            log.Info($"  layer {diffId} not reused from {reference} ({ex.Message}): compressed here.");
            return null;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public void Dispose()
    {
        _source?.Dispose();
        _context?.Dispose();
    }

    private void Mismatch(Descriptor layer, string why) =>
        log.Warning(ErrorCodes.PreviousLayerMismatch, $"Layer {layer.Digest} of the previous image {reference} was not reused: {why}. It was built here instead.");

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
            var root = _source.ResolveAsync(parsed.ManifestReference, CancellationToken.None).GetAwaiter().GetResult();
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
        catch (Exception ex) when (ex is OciException or IOException or HttpRequestException or FormatException or InvalidOperationException)
        {
            log.Info($"The previous image {reference} was not read ({ex.Message}): every new layer is compressed here.");
            return null;
        }
    }

    /// <summary>Reads through <paramref name="inner"/>, writing every byte read to <paramref name="copy"/>: one download, stored and checked.</summary>
    private sealed class CopyingReadStream(Stream inner, Stream copy) : ForwardOnlyReadStream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            copy.Write(buffer[..read]);
            return read;
        }
    }

    /// <summary>The decompressor owns its input; the download underneath is still read to its end afterwards.</summary>
    private sealed class NonClosingReadStream(Stream inner) : ForwardOnlyReadStream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);
    }
}
