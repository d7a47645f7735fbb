using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Layers;

/// <summary>
/// Content-addressed store of layer blobs plus two indexes, so an unchanged layer is never tarred or compressed again:
/// <list type="bullet">
/// <item><c>selectors/</c>: hash of a layer's entry list (paths, sizes, times, modes) -> the layer it produced;</item>
/// <item><c>compressed/</c>: diff_id + compression -> compressed blob. This also keeps a layer's digest stable when the
/// runtime's gzip changes between SDK versions: the first compressed form of a tar wins.</item>
/// </list>
/// Writes are atomic (temp file + rename), so concurrent builds sharing a cache see whole entries or none.
/// The cache holds the plaintext of layers that encrypted builds then encrypt: its folders are 0700 and its blobs 0600.
/// </summary>
public sealed class LayerCache(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string BlobPath(Digest digest) => Path.Combine(Root, "blobs", digest.Algorithm, digest.Hex);

    public CachedLayer? FindBySelector(string selector) => Read(Path.Combine(Root, "selectors", selector + ".json"));

    public CachedLayer? FindByDiffId(Digest diffId, LayerCompression compression) =>
        Read(Path.Combine(Root, "compressed", $"{diffId.Hex}-{compression.Name}.json"));

    /// <summary>Whether any tar was ever stored compressed this way (if not, no diff_id lookup can hit).</summary>
    public bool HasCompressed(LayerCompression compression)
    {
        var directory = Path.Combine(Root, "compressed");
        return Directory.Exists(directory) && Directory.EnumerateFiles(directory, $"*-{compression.Name}.json").Any();
    }

    public void Remember(string? selector, CachedLayer layer, LayerCompression compression)
    {
        Write(Path.Combine(Root, "compressed", $"{layer.DiffId.Hex}-{compression.Name}.json"), layer);
        if (selector is not null) Write(Path.Combine(Root, "selectors", selector + ".json"), layer);
    }

    /// <summary>
    /// Moves a finished, just-verified blob file into the store. It always replaces what is there: a file already at that
    /// name may be a damaged copy (that is why the layer was rebuilt), and the rename is atomic for concurrent readers.
    /// </summary>
    public string Store(string tempFile, Digest digest)
    {
        var target = BlobPath(digest);
        PrivateDirectory(Path.GetDirectoryName(target)!);
        IO.PrivateFiles.Restrict(tempFile);
        File.Move(tempFile, target, overwrite: true);
        return target;
    }

    /// <summary>A scratch file inside the cache (same file system as the blobs, so storing it is a rename).</summary>
    public string NewTempFile()
    {
        var directory = Path.Combine(Root, "tmp");
        PrivateDirectory(directory);
        return Path.Combine(directory, Guid.NewGuid().ToString("N"));
    }

    /// <summary>Creates a folder of the cache, the cache root itself private first (what is inside is then unreachable to others).</summary>
    private void PrivateDirectory(string directory)
    {
        IO.PrivateFiles.CreateDirectory(Root);
        IO.PrivateFiles.CreateDirectory(directory);
    }

    private CachedLayer? Read(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var layer = JsonSerializer.Deserialize<CachedLayer>(File.ReadAllBytes(path), OciJson.Options);
            // A cache entry is only as good as its blob: a missing or truncated blob makes it a miss.
            if (layer is null) return null;
            var blob = new FileInfo(BlobPath(layer.Digest));
            return blob.Exists && blob.Length == layer.Size ? layer : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }

    private static void Write(string path, CachedLayer layer)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(layer, OciJson.Options));
        File.Move(temp, path, overwrite: true);
    }
}

public sealed record CachedLayer(Digest DiffId, long UncompressedSize, Digest Digest, long Size, string MediaType);
