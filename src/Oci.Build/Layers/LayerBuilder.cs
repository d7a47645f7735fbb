using System.Security.Cryptography;
using System.Text;
using Oci.Build.Store;
using Oci.Build.IO;
using Oci.Build.Oci;

namespace Oci.Build.Layers;

/// <summary>
/// Builds layer blobs into a <see cref="ContentStore"/>, doing as little as the cache allows:
/// an unchanged entry list costs nothing; unchanged content costs one tar+hash pass; only new content is compressed.
/// Tar, hash and compression stream through each other, so memory stays bounded whatever the layer's size.
/// </summary>
public sealed class LayerBuilder(ContentStore cache, LayerCompression compression, TarSettings tar)
{
    // Bumped whenever the tar format this builder writes changes, so old selectors stop matching.
    private const string FormatVersion = "oci-build-tar-1";

    public BuiltLayer Build(LayerSpec layer)
    {
        var selector = Selector(layer);
        if (cache.FindBySelector(selector) is { } unchanged)
            return ToBuilt(layer, unchanged, LayerOrigin.Unchanged);

        var (diffId, uncompressedSize) = HashTar(layer);
        if (cache.FindByDiffId(diffId, compression) is { } known)
        {
            cache.Remember(selector, known, compression);
            return ToBuilt(layer, known, LayerOrigin.CompressedFromCache);
        }

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
                if (writtenDiffId != diffId)
                    throw new OciException(ErrorCodes.PublishFolder, $"The files of layer '{layer.Name}' changed while the layer was being written; publish again.");
                built = new CachedLayer(diffId, writtenSize, compressed.Digest, compressed.BytesWritten, compression.MediaType);
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

    private (Digest DiffId, long Size) HashTar(LayerSpec layer)
    {
        using var sink = new DigestingStream(Stream.Null);
        LayerTarBuilder.Write(layer, sink, tar);
        return (sink.Digest, sink.BytesWritten);
    }

    /// <summary>A hash of everything that decides the layer's bytes without reading file contents (Jib's "selector").</summary>
    private string Selector(LayerSpec layer)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        Add(FormatVersion);
        Add($"{compression.Name} {tar.UnixTime} {tar.Uid} {tar.Gid}");
        foreach (var entry in layer.Entries.OrderBy(e => e.Path, StringComparer.Ordinal))
            Add($"{entry.Path}\0{entry.Kind}\0{entry.SourcePath}\0{entry.Size}\0{entry.SourceModifiedTicks}\0{entry.EffectiveMode}\0{entry.LinkTarget}");
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
