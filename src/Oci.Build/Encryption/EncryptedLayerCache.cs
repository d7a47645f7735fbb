using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Encryption;

/// <summary>
/// Previous ciphertexts, so a republish with the same layer and the same recipients reuses the exact blob and annotations
/// (same digests: nothing is uploaded again). Keyed by the plaintext digest and the canonical recipient set; a changed
/// recipient set is a miss and the layer is encrypted afresh. Holds ciphertext and wrapped keys only, never plaintext or
/// symmetric keys. Lives under the Oci.Build cache directory, in <c>encrypted/</c>.
/// </summary>
public sealed class EncryptedLayerCache(string cacheDirectory)
{
    public string Root { get; } = Path.Combine(Path.GetFullPath(cacheDirectory), "encrypted");

    public string BlobPath(Digest digest) => Path.Combine(Root, "blobs", digest.Algorithm, digest.Hex);

    public Descriptor? Find(Digest plaintext, string recipientSet)
    {
        var path = EntryPath(plaintext, recipientSet);
        if (!File.Exists(path)) return null;
        try
        {
            var descriptor = JsonSerializer.Deserialize<Descriptor>(File.ReadAllBytes(path), OciJson.Options);
            // An entry is only as good as its blob: a missing or truncated ciphertext is a miss.
            var blob = descriptor is null ? null : new FileInfo(BlobPath(descriptor.Digest));
            return blob is { Exists: true } && blob.Length == descriptor!.Size ? descriptor : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>A scratch file beside the blobs, so storing it is a rename.</summary>
    public string NewTempFile()
    {
        var directory = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, Guid.NewGuid().ToString("N"));
    }

    /// <summary>Moves a finished ciphertext into the store and records its descriptor (atomic renames: whole entries or none).</summary>
    public string Remember(Digest plaintext, string recipientSet, string ciphertextFile, Descriptor encrypted)
    {
        var blob = BlobPath(encrypted.Digest);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        if (File.Exists(blob)) File.Delete(ciphertextFile);
        else File.Move(ciphertextFile, blob, overwrite: true);

        var entry = EntryPath(plaintext, recipientSet);
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        var temp = entry + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temp, OciJson.Serialize(encrypted));
        File.Move(temp, entry, overwrite: true);
        return blob;
    }

    private string EntryPath(Digest plaintext, string recipientSet) => Path.Combine(Root, "entries", $"{plaintext.Hex}-{recipientSet}.json");
}
