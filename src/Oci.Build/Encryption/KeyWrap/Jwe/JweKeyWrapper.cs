using System.Text;
using Oci.Build.Oci;

namespace Oci.Build.Encryption.KeyWrap.Jwe;

/// <summary>
/// <c>jwe:PUBKEY</c>: the private options as a JWE for RSA or EC public keys (PEM, DER or JWK), in annotation
/// <c>org.opencontainers.image.enc.keys.jwe</c>. One JWE covers every JWE recipient of a run.
/// </summary>
public sealed class JweKeyWrapper : IKeyWrapper
{
    public const int MinimumRsaBits = 2048;

    public string Scheme => "jwe";

    public bool WrapsInProcess => true;

    private static string AnnotationKey => EncryptionAnnotations.KeysAnnotation("jwe");

    public IWrapRecipient ParseRecipient(string value, string recipient, KeyWrapContext context)
    {
        var path = context.Resolve(value);
        var content = RecipientFiles.Read(path, recipient);
        var key = JweKey.Read(content, $"Encryption recipient '{recipient}' ({path})");
        if (key.IsPrivate)
        {
            key.Dispose();
            throw new OciException(ErrorCodes.WrongKeyType, $"Encryption recipient '{recipient}' is a PRIVATE key; give the public key (openssl pkey -in KEY -pubout) and keep the private one secret.");
        }
        if (key.Rsa is { KeySize: < MinimumRsaBits } rsa)
        {
            var bits = rsa.KeySize;
            key.Dispose();
            throw new OciException(ErrorCodes.WeakKey, $"Encryption recipient '{recipient}' is a {bits}-bit RSA key; use at least {MinimumRsaBits} bits.");
        }
        return new JweRecipient(recipient, key);
    }

    public IReadOnlyList<WrappedKeys> Wrap(IReadOnlyList<IWrapRecipient> recipients, byte[] privateOptions, KeyWrapContext context) =>
        [new WrappedKeys(AnnotationKey, JsonWebEncryption.Encrypt(privateOptions, recipients.Cast<JweRecipient>().Select(r => r.Key).ToList()))];

    public bool Reads(string annotationKey) => annotationKey == AnnotationKey;

    public byte[]? Unwrap(string annotationKey, byte[] entry, DecryptionKeySet keys, UnwrapAttempts attempts)
    {
        var usable = keys.Parsed(Scheme, ReadPrivateKeys);
        foreach (var (name, key) in usable) attempts.Tried(Scheme, $"{name} ({key.KindDescription})");
        if (usable.Count == 0) attempts.Tried(Scheme, "no RSA/EC private key among the decryption keys");
        return JsonWebEncryption.Decrypt(Encoding.UTF8.GetString(entry), usable.Select(k => k.Key).ToList());
    }

    /// <summary>Every decryption key file that is an RSA or EC private key; other files belong to other schemes.</summary>
    private static List<(string Name, JweKey Key)> ReadPrivateKeys(DecryptionKeySet keys)
    {
        var found = new List<(string, JweKey)>();
        foreach (var file in keys.Files)
        {
            try
            {
                var key = JweKey.Read(file.Content, file.Name, file.Passphrase);
                if (key.IsPrivate) found.Add((file.Name, key));
                else key.Dispose();
            }
            catch (OciException)
            {
                // Not a JWE private key (a certificate, an OpenPGP keyring, ...): another scheme's.
            }
        }
        return found;
    }

    private sealed record JweRecipient(string Text, JweKey Key) : IWrapRecipient
    {
        public string Identity => $"jwe:{Key.WrapAlgorithm}:{Key.Fingerprint}";
    }
}
