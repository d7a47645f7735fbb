using Oci.Build.Oci;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace Oci.Build.Encryption.KeyWrap.Pgp;

/// <summary>
/// <c>pgp:KEYFILE</c>: the private options as a binary OpenPGP message (one public-key session key packet per recipient,
/// SEIPD v1 with MDC, AES-256, literal data, no compression), in <c>org.opencontainers.image.enc.keys.pgp</c>.
/// Key files may be armored or binary and hold several keys; each key's encryption subkey is used. Decryption takes
/// secret keyrings (binary as <c>gpg --export-secret-keys</c> writes them, or armored) with an optional passphrase.
/// </summary>
public sealed class PgpKeyWrapper : IKeyWrapper
{
    public const int MinimumRsaBits = 2048;

    public string Scheme => "pgp";

    public bool WrapsInProcess => true;

    private static string AnnotationKey => EncryptionAnnotations.KeysAnnotation("pgp");

    public IWrapRecipient ParseRecipient(string value, string recipient, KeyWrapContext context)
    {
        var path = context.Resolve(value);
        var content = RecipientFiles.Read(path, recipient);
        PgpPublicKeyRingBundle bundle;
        try
        {
            using var input = PgpUtilities.GetDecoderStream(new MemoryStream(content));
            bundle = new PgpPublicKeyRingBundle(input);
        }
        catch (Exception ex) when (ex is PgpException or IOException or ArgumentException or InvalidCastException)
        {
            throw new OciException(ErrorCodes.WrongKeyType, $"Encryption recipient '{recipient}': '{path}' is not an OpenPGP public key file (armored or binary): {ex.Message}", ex);
        }
        var rings = bundle.GetKeyRings().ToList();
        if (rings.Count == 0)
            throw new OciException(ErrorCodes.WrongKeyType, $"Encryption recipient '{recipient}': '{path}' holds no OpenPGP public key.");
        var keys = rings.Select(ring => EncryptionKey(ring, recipient, context.Now)).ToList();
        return new PgpRecipient(recipient, keys);
    }

    /// <summary>The key of a keyring that messages are encrypted to: a valid encryption subkey, else an encryption-capable primary key.</summary>
    private static PgpPublicKey EncryptionKey(PgpPublicKeyRing ring, string recipient, DateTimeOffset now)
    {
        var primary = ring.GetPublicKey();
        var user = primary.GetUserIds().FirstOrDefault() ?? primary.KeyId.ToString("X16");
        if (primary.HasRevocation())
            throw new OciException(ErrorCodes.KeyNotValid, $"Encryption recipient '{recipient}': the OpenPGP key of '{user}' is revoked.");
        if (IsExpired(primary, now))
            throw new OciException(ErrorCodes.KeyNotValid, $"Encryption recipient '{recipient}': the OpenPGP key of '{user}' expired on {Expiry(primary):yyyy-MM-dd}.");
        var candidates = ring.GetPublicKeys().Where(k => k.IsEncryptionKey && CanEncrypt(k)).ToList();
        var valid = candidates.Where(k => !k.HasRevocation() && !IsExpired(k, now))
            .OrderBy(k => k.IsMasterKey).ThenByDescending(k => k.CreationTime).ToList();
        var key = valid.FirstOrDefault();
        if (key is null)
            throw new OciException(candidates.Count > 0 ? ErrorCodes.KeyNotValid : ErrorCodes.WrongKeyType,
                $"Encryption recipient '{recipient}': the OpenPGP key of '{user}' has no {(candidates.Count > 0 ? "valid (unexpired, unrevoked) " : "")}encryption key.");
        if (key.Algorithm is PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaEncrypt && key.BitStrength < MinimumRsaBits)
            throw new OciException(ErrorCodes.WeakKey, $"Encryption recipient '{recipient}': the OpenPGP key of '{user}' is {key.BitStrength}-bit RSA; use at least {MinimumRsaBits} bits.");
        return key;
    }

    /// <summary>Honours key flags when the key has them (a signing-only subkey is not an encryption key).</summary>
    private static bool CanEncrypt(PgpPublicKey key)
    {
        var flags = key.GetSignatures().Select(s => s.GetHashedSubPackets()).Where(p => p is not null && p.HasSubpacket(SignatureSubpacketTag.KeyFlags))
            .Select(p => p.GetKeyFlags()).ToList();
        return flags.Count == 0 || flags.Any(f => (f & (PgpKeyFlags.CanEncryptCommunications | PgpKeyFlags.CanEncryptStorage)) != 0);
    }

    private static bool IsExpired(PgpPublicKey key, DateTimeOffset now) => Expiry(key) is { } expiry && expiry < now.UtcDateTime;

    private static DateTime? Expiry(PgpPublicKey key)
    {
        var seconds = key.GetValidSeconds();
        return seconds <= 0 ? null : key.CreationTime.ToUniversalTime().AddSeconds(seconds);
    }

    public IReadOnlyList<WrappedKeys> Wrap(IReadOnlyList<IWrapRecipient> recipients, byte[] privateOptions, KeyWrapContext context)
    {
        var generator = new PgpEncryptedDataGenerator(SymmetricKeyAlgorithmTag.Aes256, true, new SecureRandom());
        foreach (var key in recipients.Cast<PgpRecipient>().SelectMany(r => r.Keys).DistinctBy(k => k.KeyId))
            generator.AddMethod(key);
        using var output = new MemoryStream();
        using (var encrypted = generator.Open(output, new byte[1 << 12]))
        {
            var literal = new PgpLiteralDataGenerator();
            using var data = literal.Open(encrypted, PgpLiteralData.Binary, "", privateOptions.Length, DateTime.UnixEpoch);
            data.Write(privateOptions);
        }
        return [new WrappedKeys(AnnotationKey, output.ToArray())];
    }

    public bool Reads(string annotationKey) => annotationKey == AnnotationKey;

    public byte[]? Unwrap(string annotationKey, byte[] entry, DecryptionKeySet keys, UnwrapAttempts attempts)
    {
        var secrets = keys.Parsed(Scheme, ReadSecretKeys);
        var encrypted = ReadEncryptedData(entry);
        var wanted = string.Join(", ", encrypted.Select(e => e.KeyId.ToString("X16")));
        if (secrets.Count == 0) attempts.Tried(Scheme, $"no OpenPGP secret keyring among the decryption keys (message for key ids {wanted})");
        foreach (var data in encrypted)
        {
            foreach (var (name, bundle, passphrase) in secrets)
            {
                var secret = bundle.GetSecretKey(data.KeyId);
                if (secret is null) continue;
                PgpPrivateKey privateKey;
                try
                {
                    privateKey = secret.ExtractPrivateKey(passphrase?.ToCharArray() ?? []);
                }
                catch (PgpException)
                {
                    attempts.Tried(Scheme, $"{name} has key {data.KeyId:X16} but the passphrase {(passphrase is null ? "is missing (FILE:pass=...)" : "is wrong")}");
                    continue;
                }
                try
                {
                    return ReadLiteral(data, privateKey);
                }
                catch (Exception ex) when (ex is PgpException or IOException)
                {
                    attempts.Tried(Scheme, $"{name} key {data.KeyId:X16} failed: {ex.Message}");
                }
            }
        }
        foreach (var (name, bundle, _) in secrets)
            attempts.Tried(Scheme, $"{name} (keys {string.Join(", ", bundle.GetKeyRings().SelectMany(r => r.GetSecretKeys()).Select(k => k.KeyId.ToString("X16")))}; message for {wanted})");
        return null;
    }

    private static List<PgpPublicKeyEncryptedData> ReadEncryptedData(byte[] entry)
    {
        try
        {
            var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(new MemoryStream(entry)));
            var item = factory.NextPgpObject();
            while (item is PgpMarker) item = factory.NextPgpObject();
            return item is PgpEncryptedDataList list
                ? list.GetEncryptedDataObjects().OfType<PgpPublicKeyEncryptedData>().ToList()
                : throw new FormatException("the pgp entry is not an OpenPGP encrypted message");
        }
        catch (Exception ex) when (ex is PgpException or IOException)
        {
            throw new FormatException($"the pgp entry is not a readable OpenPGP message: {ex.Message}", ex);
        }
    }

    private static byte[] ReadLiteral(PgpPublicKeyEncryptedData data, PgpPrivateKey key)
    {
        using var clear = data.GetDataStream(key);
        var message = new PgpObjectFactory(clear).NextPgpObject();
        if (message is PgpCompressedData compressed)
            message = new PgpObjectFactory(compressed.GetDataStream()).NextPgpObject();
        if (message is not PgpLiteralData literal) throw new PgpException("the message holds no literal data");
        using var buffer = new MemoryStream();
        literal.GetInputStream().CopyTo(buffer);
        if (data.IsIntegrityProtected() && !data.Verify()) throw new PgpException("the message's integrity check (MDC) failed");
        return buffer.ToArray();
    }

    /// <summary>Every decryption key file that is an OpenPGP secret keyring (binary or armored); others belong to other schemes.</summary>
    private static List<(string Name, PgpSecretKeyRingBundle Bundle, string? Passphrase)> ReadSecretKeys(DecryptionKeySet keys)
    {
        var found = new List<(string, PgpSecretKeyRingBundle, string?)>();
        foreach (var file in keys.Files)
        {
            try
            {
                using var input = PgpUtilities.GetDecoderStream(new MemoryStream(file.Content));
                var bundle = new PgpSecretKeyRingBundle(input);
                if (bundle.Count > 0) found.Add((file.Name, bundle, file.Passphrase));
            }
            catch (Exception)
            {
                // Not an OpenPGP secret keyring: BouncyCastle throws assorted exception types on foreign input.
            }
        }
        return found;
    }

    private sealed record PgpRecipient(string Text, IReadOnlyList<PgpPublicKey> Keys) : IWrapRecipient
    {
        public string Identity => "pgp:" + string.Join(",", Keys.Select(k => Convert.ToHexStringLower(k.GetFingerprint())).Order(StringComparer.Ordinal));
    }
}
