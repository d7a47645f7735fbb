using System.Text.Json;
using Oci.Build.IO;
using Oci.Build.Layers;
using Oci.Build.Oci;

namespace Oci.Build.Store;

/// <summary>
/// The one local content store (<c>OciBuildCacheDirectory</c>): content-addressed blobs (<c>blobs/&lt;alg&gt;/&lt;hex&gt;</c>)
/// that builds, pulls and encryption all share, plus named indexes that say which blob to reuse, so nothing is tarred,
/// compressed, pulled or encrypted twice:
/// <list type="bullet">
/// <item><c>selectors/</c>: hash of a layer's entry list (paths, sizes, times, modes) -> the layer it produced;</item>
/// <item><c>compressed/</c>: diff_id + compression -> compressed blob. This also keeps a layer's digest stable when the
/// runtime's gzip changes between SDK versions: the first compressed form of a tar wins;</item>
/// <item><c>ciphertexts/</c>: plaintext digest + canonical recipient set -> ciphertext descriptor (with its annotations),
/// so a republish for the same recipients reuses the exact encrypted blob. Never plaintext of it, never symmetric keys.</item>
/// </list>
/// Pulled manifests and blobs go to the same blobs, verified before they are stored. Writes are atomic (temp file +
/// rename), so concurrent builds sharing a store see whole entries or none.
/// The store holds the plaintext of layers that encrypted builds then encrypt: its folders are 0700 and its blobs 0400.
/// Blobs are sealed (<see cref="SealedFile"/>) when stored, so layouts can hard-link them instead of copying them
/// (<see cref="Layout.OciLayoutWriter.AddStoredBlobFile"/>); a blob whose seal is broken is checked again before use.
/// </summary>
public sealed class ContentStore(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string BlobPath(Digest digest) => Path.Combine(Root, "blobs", digest.Algorithm, digest.Hex);

    /// <summary>
    /// True when the store holds the blob (with this size, when given), intact. A sealed blob is intact; one whose seal
    /// is broken (written through a layout's hard link, or stored by an older version) is hashed again once: sealed
    /// when it is right, a miss when not (the caller makes it again, and <see cref="Store"/> replaces the file).
    /// </summary>
    public bool Has(Digest digest, long? size = null)
    {
        var file = new FileInfo(BlobPath(digest));
        if (!file.Exists || (size is not null && file.Length != size)) return false;
        return SealedFile.IsSealed(file) || Reseal(file, digest);
    }

    /// <summary>The stored file of a blob that is there and intact (see <see cref="Has"/>), to link or read.</summary>
    public string? TryGetBlobPath(Digest digest, long? size = null) => Has(digest, size) ? BlobPath(digest) : null;

    private static bool Reseal(FileInfo file, Digest digest)
    {
        try
        {
            using (var input = new VerifyingReadStream(new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan),
                       digest, file.Length, $"Stored blob {digest}"))
                input.CopyTo(Stream.Null, 1 << 17);
            SealedFile.Seal(file.FullName);
            return true;
        }
        catch (Exception ex) when (ex is OciException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public CachedLayer? FindBySelector(string selector) => ReadLayer(Path.Combine(Root, "selectors", selector + ".json"));

    public CachedLayer? FindByDiffId(Digest diffId, LayerCompression compression) =>
        ReadLayer(Path.Combine(Root, "compressed", $"{diffId.Hex}-{compression.Name}.json"));

    /// <summary>Whether any tar was ever stored compressed this way (if not, no diff_id lookup can hit).</summary>
    public bool HasCompressed(LayerCompression compression)
    {
        var directory = Path.Combine(Root, "compressed");
        return Directory.Exists(directory) && Directory.EnumerateFiles(directory, $"*-{compression.Name}.json").Any();
    }

    public void Remember(string? selector, CachedLayer layer, LayerCompression compression)
    {
        WriteEntry(Path.Combine(Root, "compressed", $"{layer.DiffId.Hex}-{compression.Name}.json"), layer);
        if (selector is not null) WriteEntry(Path.Combine(Root, "selectors", selector + ".json"), layer);
    }

    /// <summary>The ciphertext of <paramref name="plaintext"/> for <paramref name="recipientSet"/>, when one is stored whole.</summary>
    public Descriptor? FindCiphertext(Digest plaintext, string recipientSet)
    {
        var path = CiphertextEntry(plaintext, recipientSet);
        if (!File.Exists(path)) return null;
        try
        {
            var descriptor = JsonSerializer.Deserialize(File.ReadAllBytes(path), EntryJson.TypeInfo<Descriptor>());
            // An entry is only as good as its blob: a missing or truncated ciphertext is a miss.
            return descriptor is not null && Has(descriptor.Digest, descriptor.Size) ? descriptor : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes and reads a ciphertext entry in memory only: the first use of the entries' JSON code, which is not compiled
    /// ahead of time (a few ms), paid by an encryptor's warm-up (<see cref="Encryption.LayerEncryptor.WarmUp"/>).
    /// </summary>
    public static void WarmUpCiphertextEntries()
    {
        var entry = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Of([]), Size = 0, Annotations = new Dictionary<string, string> { ["k"] = "v" } };
        JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(entry, EntryJson.TypeInfo<Descriptor>()), EntryJson.TypeInfo<Descriptor>());
    }

    /// <summary>Stores a finished ciphertext file and records it for its plaintext and recipients; returns the blob's path.</summary>
    public string RememberCiphertext(Digest plaintext, string recipientSet, string ciphertextFile, Descriptor encrypted)
    {
        var blob = Store(ciphertextFile, encrypted.Digest);
        WriteEntry(CiphertextEntry(plaintext, recipientSet), encrypted);
        return blob;
    }

    /// <summary>
    /// Moves a finished, just-verified blob file into the store, sealed. It always replaces what is there: a file already at
    /// that name may be a damaged copy (that is why the blob was made again; a rename gives the store a new inode, so a
    /// layout still linked to the damaged one keeps it to itself), and the rename is atomic for concurrent readers.
    /// </summary>
    public string Store(string tempFile, Digest digest)
    {
        var target = BlobPath(digest);
        PrivateDirectory(Path.GetDirectoryName(target)!);
        SealedFile.Seal(tempFile);
        File.Move(tempFile, target, overwrite: true);
        return target;
    }

    /// <summary>A scratch file inside the store (same file system as the blobs, so storing it is a rename).</summary>
    public string NewTempFile()
    {
        var directory = Path.Combine(Root, "tmp");
        PrivateDirectory(directory);
        return Path.Combine(directory, Guid.NewGuid().ToString("N"));
    }

    /// <summary>Creates a folder of the store, the store root itself private first (what is inside is then unreachable to others).</summary>
    private void PrivateDirectory(string directory)
    {
        IO.PrivateFiles.CreateDirectory(Root);
        IO.PrivateFiles.CreateDirectory(directory);
    }

    private string CiphertextEntry(Digest plaintext, string recipientSet) => Path.Combine(Root, "ciphertexts", $"{plaintext.Hex}-{recipientSet}.json");

    private CachedLayer? ReadLayer(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var layer = JsonSerializer.Deserialize(File.ReadAllBytes(path), EntryJson.TypeInfo<CachedLayer>());
            // A cache entry is only as good as its blob: a missing or truncated blob makes it a miss.
            return layer is { DiffId: not null, Digest: not null, MediaType: not null } && Has(layer.Digest, layer.Size) ? layer : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }

    private static readonly JsonSerializerOptions EntryJson = OciJson.For(StoreJsonContext.Default);

    private static void WriteEntry<T>(string path, T entry)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(entry, EntryJson.TypeInfo<T>()));
        File.Move(temp, path, overwrite: true);
    }
}

public sealed record CachedLayer(Digest DiffId, long UncompressedSize, Digest Digest, long Size, string MediaType);
