namespace Oci.Build.Encryption.Cipher;

/// <summary>
/// A layer cipher (ocicrypt's <c>LayerBlockCipher</c>): encrypts a whole layer blob as one stream and authenticates it.
/// The blob is processed in a single pass; the authentication value exists only once the whole stream has gone by,
/// which is why callers write the blob first and its annotations after.
/// </summary>
public interface ILayerCipher
{
    /// <summary>The <c>cipher</c> value of the public options, e.g. <c>AES_256_CTR_HMAC_SHA256</c>.</summary>
    string Name { get; }

    /// <summary>Fresh random secrets (symmetric key and private cipher options) for one layer.</summary>
    PrivateLayerOptions GenerateKey();

    /// <summary>Encrypts all of <paramref name="plaintext"/> into <paramref name="ciphertext"/> and returns the public options (with the HMAC).</summary>
    PublicLayerOptions Encrypt(Stream plaintext, Stream ciphertext, PrivateLayerOptions options);

    /// <summary>Checks the ciphertext against the public options without producing any plaintext.</summary>
    /// <exception cref="LayerAuthenticationException">The ciphertext was changed or the key is not the one it was made with.</exception>
    void Verify(Stream ciphertext, PublicLayerOptions publicOptions, PrivateLayerOptions privateOptions);

    /// <summary>
    /// Decrypts all of <paramref name="ciphertext"/> into <paramref name="plaintext"/>, checking authentication at the end.
    /// When it throws, everything written to <paramref name="plaintext"/> must be discarded.
    /// </summary>
    /// <exception cref="LayerAuthenticationException">The ciphertext was changed or the key is wrong.</exception>
    void Decrypt(Stream ciphertext, Stream plaintext, PublicLayerOptions publicOptions, PrivateLayerOptions privateOptions);
}

/// <summary>The ciphertext does not authenticate under the given key (tampered blob, or options from another layer).</summary>
public sealed class LayerAuthenticationException(string message) : Exception(message);

/// <summary>The layer ciphers this product knows, by their <c>cipher</c> name.</summary>
public static class LayerCiphers
{
    public static readonly ILayerCipher Default = new AesCtrHmacSha256Cipher();

    private static readonly IReadOnlyDictionary<string, ILayerCipher> ByName =
        new Dictionary<string, ILayerCipher>(StringComparer.Ordinal) { [Default.Name] = Default };

    public static ILayerCipher? Find(string name) => ByName.GetValueOrDefault(name);

    public static IEnumerable<string> Names => ByName.Keys;
}
