using System.Security.Cryptography;
using System.Text;
using Oci.Build.Encryption.Cipher;
using Oci.Build.Encryption.KeyWrap;
using Oci.Build.IO;
using Oci.Build.Oci;
using Oci.Build.Store;

namespace Oci.Build.Encryption;

/// <summary>One layer's ciphertext: its descriptor (encrypted media type, ocicrypt annotations) and the sealed store file holding it.</summary>
public sealed record EncryptedLayer(Digest PlaintextDigest, Descriptor Encrypted, string BlobPath, bool Reused);

/// <summary>
/// Encrypts layer blobs for one set of recipients into the content store. The ciphertext a store already holds for the same
/// plaintext and the same recipients is reused (its wrapped keys are public, so nothing secret is kept); otherwise a new key
/// and nonce are drawn, as ocicrypt does. Only ciphertext is written; where it goes next (an image layout) is the caller's.
/// </summary>
public sealed class LayerEncryptor
{
    private readonly IBuildLog _log;
    private readonly ContentStore _store;
    private readonly IReadOnlyList<EncryptionRecipient> _recipients;
    private readonly KeyWrapContext _context;
    private readonly ILayerCipher _cipher;
    // Layers may be encrypted at the same time (the cipher is stateless); the key wrappers are not promised to be
    // thread-safe (BouncyCastle's OpenPGP, a key provider's process), and wrapping a key takes a millisecond: one at a time.
    private readonly Lock _wrapping = new();

    public LayerEncryptor(IBuildLog log, ContentStore store, IReadOnlyList<EncryptionRecipient> recipients, KeyWrapContext context, ILayerCipher? cipher = null)
    {
        if (recipients.Count == 0)
            throw new OciException(ErrorCodes.NoRecipients,
                "Layer encryption needs at least one recipient: add ContainerEncryptionRecipient items (jwe:KEY.pem, pgp:KEY.asc, pkcs7:CERT.pem, provider:NAME) or pass -p:ContainerEncryptionRecipients=...");
        _log = log;
        _store = store;
        _recipients = recipients;
        _context = context;
        _cipher = cipher ?? LayerCiphers.Default;
        RecipientSet = RecipientSetId(_cipher, recipients);
    }

    /// <summary>The recipients, read and checked.</summary>
    public IReadOnlyList<EncryptionRecipient> Recipients => _recipients;

    /// <summary>The canonical recipient set: key identities (not file paths), sorted, with the cipher; hashed for file names.</summary>
    public string RecipientSet { get; }

    /// <summary>
    /// Pays what a process's first layer encryption costs beyond its bytes: the first use of the cipher and of the key
    /// wraps (OpenSSL's algorithm set-up, code that is not precompiled; for OpenPGP, BouncyCastle's), of the layer selection
    /// and of the store's ciphertext entries. Run on another thread while the build does other work, it keeps that cost
    /// (most of encrypting a one-line change) off the build's path. It works on a throwaway key and a few bytes and keeps
    /// nothing; schemes that wrap outside the process (<see cref="IKeyWrapper.WrapsInProcess"/>) are left out.
    /// </summary>
    public void WarmUp()
    {
        try
        {
            var options = _cipher.GenerateKey();
            _cipher.Encrypt(new MemoryStream(new byte[4096]), Stream.Null, options);
            var privateOptions = options.ToJson();
            foreach (var group in _recipients.Where(r => r.Wrapper.WrapsInProcess).GroupBy(r => r.Wrapper))
                group.Key.Wrap(group.Select(r => r.Recipient).ToList(), privateOptions, _context);
            LayerSelection.Resolve([], []);
            ContentStore.WarmUpCiphertextEntries();
        }
        catch (Exception ex) when (ex is OciException or CryptographicException or IOException or InvalidOperationException or ArgumentException)
        {
            // A rehearsal only: whatever fails here fails again, and is reported, when the real layers are encrypted.
        }
    }

    /// <param name="layer">The plaintext layer as the image describes it.</param>
    /// <param name="openPlaintext">Its bytes; the stream must verify itself against <paramref name="layer"/> (its last read throws on a mismatch).</param>
    public EncryptedLayer Encrypt(Descriptor layer, Func<Stream> openPlaintext) => FindEncrypted(layer) ?? EncryptAnew(layer, openPlaintext);

    /// <summary>The ciphertext an earlier build made of this layer for the same recipients (a store lookup), or null.</summary>
    /// <exception cref="OciException">The layer cannot be encrypted (already encrypted, or not an image layer).</exception>
    public EncryptedLayer? FindEncrypted(Descriptor layer)
    {
        if (!EncryptionAnnotations.IsEncryptableLayer(MediaTypes.ToOciLayer(layer.MediaType)))
            throw new OciException(ErrorCodes.UnknownEncryptLayer,
                $"Layer {layer.Digest} has media type '{layer.MediaType}', which cannot be encrypted (already encrypted, or not an image layer).");
        if (_store.FindCiphertext(layer.Digest, RecipientSet) is not { } cached) return null;
        _log.Detail($"  layer {layer.Digest}: ciphertext {cached.Digest} reused (same content, same recipients)");
        return new EncryptedLayer(layer.Digest, cached, _store.BlobPath(cached.Digest), Reused: true);
    }

    /// <summary>Encrypts the layer with a new key, whatever the store holds (<see cref="FindEncrypted"/> looks first).</summary>
    /// <param name="layer">The plaintext layer as the image describes it (<see cref="FindEncrypted"/> checked it can be encrypted).</param>
    /// <param name="openPlaintext">Its bytes; the stream must verify itself against <paramref name="layer"/>.</param>
    public EncryptedLayer EncryptAnew(Descriptor layer, Func<Stream> openPlaintext)
    {
        var options = _cipher.GenerateKey() with { Digest = layer.Digest.ToString() };
        var temp = _store.NewTempFile();
        try
        {
            PublicLayerOptions publicOptions;
            Digest ciphertextDigest;
            using (var input = openPlaintext())
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var output = new DigestingStream(file))
            {
                publicOptions = _cipher.Encrypt(input, output, options);
                ciphertextDigest = output.Digest;
            }

            // The annotations come last: the HMAC (public options) exists only once the whole blob went through.
            var descriptor = layer with
            {
                MediaType = EncryptionAnnotations.ToEncrypted(MediaTypes.ToOciLayer(layer.MediaType)),
                Digest = ciphertextDigest,
                Annotations = WithEncryptionAnnotations(layer.Annotations, Wrap(options.ToJson()), publicOptions),
            };
            var blob = _store.RememberCiphertext(layer.Digest, RecipientSet, temp, descriptor);
            _log.Detail($"  layer {layer.Digest}: encrypted -> {ciphertextDigest}");
            return new EncryptedLayer(layer.Digest, descriptor, blob, Reused: false);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>One entry per scheme (per annotation key) covering all its recipients, as one ocicrypt run writes.</summary>
    private Dictionary<string, string> Wrap(byte[] privateOptions)
    {
        lock (_wrapping) return WrapOneAtATime(privateOptions);
    }

    private Dictionary<string, string> WrapOneAtATime(byte[] privateOptions)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in _recipients.GroupBy(r => r.Wrapper))
        {
            foreach (var wrapped in group.Key.Wrap(group.Select(r => r.Recipient).ToList(), privateOptions, _context))
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

    private static string RecipientSetId(ILayerCipher cipher, IEnumerable<EncryptionRecipient> recipients)
    {
        var canonical = cipher.Name + "\n" + string.Join("\n", recipients.Select(r => r.Recipient.Identity).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..32];
    }
}
