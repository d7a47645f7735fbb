using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Oci.Build.Encryption.Cipher;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.Graph;
using Oci.Build.IO;
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

/// <summary>One layer as it went into the encrypted layout.</summary>
public sealed record EncryptedLayer(Digest PlaintextDigest, Descriptor Encrypted, bool Reused);

public sealed record LayoutEncryptionResult(string LayoutPath, IReadOnlyDictionary<Digest, Descriptor> Manifests, IReadOnlyList<EncryptedLayer> Layers);

/// <summary>
/// Encrypts selected layers of the images in a layout for a set of recipients and writes the result as a new layout.
/// The output never holds a plaintext blob of an encrypted layer; configs (and so diff_ids) stay as they are, as in the
/// rest of the ecosystem. Nothing is written at all when any step fails (the layout writer stages, then swaps).
/// </summary>
public sealed class LayoutEncryptor(IBuildLog log, ILayerCipher? cipher = null)
{
    private readonly ILayerCipher _cipher = cipher ?? LayerCiphers.Default;

    public LayoutEncryptionResult Encrypt(LayoutEncryptionRequest request)
    {
        if (request.Recipients.Count == 0)
            throw new OciException(ErrorCodes.NoRecipients,
                "Layer encryption needs at least one recipient: add ContainerEncryptionRecipient items (jwe:KEY.pem, pgp:KEY.asc, pkcs7:CERT.pem, provider:NAME) or pass -p:ContainerEncryptionRecipients=...");
        if (Path.GetFullPath(request.SourceLayout).TrimEnd('/') == Path.GetFullPath(request.DestinationLayout).TrimEnd('/'))
            throw new OciException(ErrorCodes.InvalidOutputPath, "The encrypted layout must be written to another directory than the plaintext one.");

        var stopwatch = Stopwatch.StartNew();
        var source = OciLayout.Open(request.SourceLayout);
        var recipientSet = RecipientSetId(request.Recipients);
        var cache = request.CacheDirectory is null ? null : new ContentStore(request.CacheDirectory);
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
                    encrypted[layer.Digest] = done = EncryptLayer(source, target, layer, request, recipientSet, cache);
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

    private EncryptedLayer EncryptLayer(OciLayout source, IImageSink sink, Descriptor layer, LayoutEncryptionRequest request,
        string recipientSet, ContentStore? cache)
    {
        if (!EncryptionAnnotations.IsEncryptableLayer(MediaTypes.ToOciLayer(layer.MediaType)))
            throw new OciException(ErrorCodes.UnknownEncryptLayer,
                $"Layer {layer.Digest} has media type '{layer.MediaType}', which cannot be encrypted (already encrypted, or not an image layer).");

        if (cache?.FindCiphertext(layer.Digest, recipientSet) is { } cached)
        {
            // Ciphertext only: the store's sealed ciphertext is linked into the output (never the plaintext it encrypts).
            LayoutRoots.PutFile(sink, cache.BlobPath(cached.Digest), cached, stored: true);
            log.Detail($"  layer {layer.Digest}: ciphertext {cached.Digest} reused (same content, same recipients)");
            return new EncryptedLayer(layer.Digest, cached, Reused: true);
        }

        var options = _cipher.GenerateKey() with { Digest = layer.Digest.ToString() };
        var temp = cache?.NewTempFile() ?? Path.Combine(Path.GetTempPath(), $"oci-build-{Guid.NewGuid():N}.enc");
        try
        {
            PublicLayerOptions publicOptions;
            Digest ciphertextDigest;
            using (var input = source.OpenBlob(layer))
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var output = new DigestingStream(file))
            {
                publicOptions = _cipher.Encrypt(input, output, options);
                ciphertextDigest = output.Digest;
            }

            // Blob first, then the annotations (the HMAC exists only now), then the manifest.
            var descriptor = layer with
            {
                MediaType = EncryptionAnnotations.ToEncrypted(MediaTypes.ToOciLayer(layer.MediaType)),
                Digest = ciphertextDigest,
                Annotations = WithEncryptionAnnotations(layer.Annotations, Wrap(request, options.ToJson()), publicOptions),
            };
            LayoutRoots.PutFile(sink, cache is null ? temp : cache.RememberCiphertext(layer.Digest, recipientSet, temp, descriptor), descriptor, stored: cache is not null);
            log.Detail($"  layer {layer.Digest}: encrypted -> {ciphertextDigest}");
            return new EncryptedLayer(layer.Digest, descriptor, Reused: false);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>One entry per scheme (per annotation key) covering all its recipients, as one ocicrypt run writes.</summary>
    private static Dictionary<string, string> Wrap(LayoutEncryptionRequest request, byte[] privateOptions)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in request.Recipients.GroupBy(r => r.Wrapper))
        {
            foreach (var wrapped in group.Key.Wrap(group.Select(r => r.Recipient).ToList(), privateOptions, request.Context))
            {
                var entry = Base64.Encode(wrapped.Entry);
                annotations[wrapped.AnnotationKey] = annotations.TryGetValue(wrapped.AnnotationKey, out var existing) ? existing + "," + entry : entry;
            }
        }
        return annotations;
    }

    private static Dictionary<string, string> WithEncryptionAnnotations(IReadOnlyDictionary<string, string>? original,
        Dictionary<string, string> keys, PublicLayerOptions publicOptions)
    {
        var annotations = original is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(original, StringComparer.Ordinal);
        foreach (var (key, value) in keys) annotations[key] = value;
        annotations[EncryptionAnnotations.PublicOptions] = Base64.Encode(publicOptions.ToJson());
        return annotations;
    }

    /// <summary>The canonical recipient set: key identities (not file paths), sorted, with the cipher; hashed for file names.</summary>
    public string RecipientSetId(IEnumerable<EncryptionRecipient> recipients)
    {
        var canonical = _cipher.Name + "\n" + string.Join("\n", recipients.Select(r => r.Recipient.Identity).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..32];
    }
}
