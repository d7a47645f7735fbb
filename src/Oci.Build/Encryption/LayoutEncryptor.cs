using System.Diagnostics;
using Oci.Build.Encryption.Cipher;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Graph;
using Oci.Build.Layout;
using Oci.Build.Oci;
using Oci.Build.Store;

namespace Oci.Build.Encryption;

/// <summary>What to encrypt: a layout, the layers (by plaintext digest) and the recipients.</summary>
public sealed record LayoutEncryptionRequest
{
    public required string SourceLayout { get; init; }
    /// <summary>Where the encrypted layout is written (atomically). Must differ from the source.</summary>
    public required string DestinationLayout { get; init; }
    public required IReadOnlyList<EncryptionRecipient> Recipients { get; init; }
    /// <summary>The plaintext digests of the layers to encrypt, wherever they appear in the layout's images.</summary>
    public required IReadOnlySet<Digest> Layers { get; init; }
    /// <summary>The Oci.Build cache directory; previous ciphertexts are reused from it. Null: no reuse.</summary>
    public string? CacheDirectory { get; init; }
    public KeyWrapContext Context { get; init; } = new();
}

public sealed record LayoutEncryptionResult(string LayoutPath, IReadOnlyDictionary<Digest, Descriptor> Manifests, IReadOnlyList<EncryptedLayer> Layers);

/// <summary>
/// Encrypts selected layers of the images in an existing layout for a set of recipients and writes the result as a new
/// layout (a publish encrypts while it builds instead: <see cref="Images.ImagePublisher"/>). The output never holds a
/// plaintext blob of an encrypted layer; configs (and so diff_ids) stay as they are, as in the rest of the ecosystem.
/// Nothing is written at all when any step fails (the layout writer stages, then swaps).
/// </summary>
public sealed class LayoutEncryptor(IBuildLog log, ILayerCipher? cipher = null)
{
    public LayoutEncryptionResult Encrypt(LayoutEncryptionRequest request)
    {
        if (Path.GetFullPath(request.SourceLayout).TrimEnd('/') == Path.GetFullPath(request.DestinationLayout).TrimEnd('/'))
            throw new OciException(ErrorCodes.InvalidOutputPath, "The encrypted layout must be written to another directory than the plaintext one.");

        var stopwatch = Stopwatch.StartNew();
        var source = OciLayout.Open(request.SourceLayout);
        // Without a cache the ciphertexts are staged in a throw-away store (the output links or copies them from there).
        var scratch = request.CacheDirectory is null ? Path.Combine(Path.GetTempPath(), $"oci-build-encrypt-{Guid.NewGuid():N}") : null;
        try
        {
            var encryptor = new LayerEncryptor(log, new ContentStore(request.CacheDirectory ?? scratch!), request.Recipients, request.Context, cipher);
            var encrypted = new Dictionary<Digest, EncryptedLayer>();
            var seen = new HashSet<Digest>();

            using var sink = new LayoutSink(request.DestinationLayout);
            var copy = ImageCopier.CopyAsync(new LayoutSource(source), sink, LayoutRoots.Of(source), new CopyOptions
            {
                TransformLayer = (content, target, _) =>
                {
                    var layer = content.Descriptor;
                    seen.Add(layer.Digest);
                    if (!request.Layers.Contains(layer.Digest)) return Task.FromResult<Descriptor?>(null);
                    if (!encrypted.TryGetValue(layer.Digest, out var done))
                    {
                        encrypted[layer.Digest] = done = encryptor.Encrypt(layer, () => source.OpenBlob(layer));
                        // Ciphertext only: the store's sealed ciphertext is linked into the output (never the plaintext it encrypts).
                        LayoutRoots.PutFile(target, done.BlobPath, done.Encrypted, stored: true);
                    }
                    return Task.FromResult<Descriptor?>(done.Encrypted);
                },
                BeforeCommit = () =>
                {
                    var missing = request.Layers.Where(d => !seen.Contains(d)).ToList();
                    if (missing.Count > 0)
                        throw new OciException(ErrorCodes.UnknownEncryptLayer, $"No image in {source.Description} has the layer(s) {string.Join(", ", missing)} that were selected for encryption.");
                    // The promise of this class: an encrypted layer's plaintext never reaches the output.
                    if (encrypted.Keys.FirstOrDefault(sink.HasBlob) is { Algorithm: not null } leaked)
                        throw new InvalidOperationException($"Plaintext blob {leaked} would be written to the encrypted layout.");
                },
            }).GetAwaiter().GetResult();

            log.Detail($"Encrypted {encrypted.Count} layer(s) for {request.Recipients.Count} recipient(s) in {stopwatch.Elapsed.TotalMilliseconds:F0} ms.");
            return new LayoutEncryptionResult(sink.Destination, LayoutRoots.Manifests(copy), encrypted.Values.ToList());
        }
        finally
        {
            if (scratch is not null && Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }
}
