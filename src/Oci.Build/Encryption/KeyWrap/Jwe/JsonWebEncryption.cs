using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Oci.Build.Encryption.KeyWrap.Jwe;

/// <summary>
/// The small part of JWE (RFC 7516/7518) that encrypted images use, written here so the output matches go-jose's (what
/// ocicrypt writes) field for field: A256GCM content encryption; RSA-OAEP, RSA-OAEP-256 or ECDH-ES+A256KW per recipient;
/// flattened JSON serialization for one recipient, general (plus go-jose's top-level <c>encrypted_key</c>) for several.
/// </summary>
public static class JsonWebEncryption
{
    public const string A256Gcm = "A256GCM";
    private const int TagSize = 16;

    public static byte[] Encrypt(byte[] plaintext, IReadOnlyList<JweKey> recipients)
    {
        if (recipients.Count == 0) throw new ArgumentException("A JWE needs at least one recipient.", nameof(recipients));
        var cek = RandomNumberGenerator.GetBytes(32);
        var wrapped = recipients.Select(r => WrapKey(cek, r)).ToList();

        // go-jose puts everything in the protected header when there is one recipient, only "enc" when there are several.
        var protectedHeader = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal) { ["enc"] = A256Gcm };
        if (recipients.Count == 1)
        {
            foreach (var (name, value) in wrapped[0].Header) protectedHeader[name] = value;
        }
        var protectedText = Base64.EncodeUrl(Encoding.UTF8.GetBytes(ToJson(protectedHeader)));

        var iv = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagSize];
        using (var gcm = new AesGcm(cek, TagSize))
            gcm.Encrypt(iv, plaintext, ciphertext, tag, Encoding.ASCII.GetBytes(protectedText));

        // Field order of go-jose's rawJSONWebEncryption: protected, header, recipients, encrypted_key, iv, ciphertext, tag.
        var json = new StringBuilder();
        json.Append("{\"protected\":\"").Append(protectedText).Append('"');
        if (recipients.Count > 1)
        {
            json.Append(",\"recipients\":[");
            json.AppendJoin(',', wrapped.Select(w => $"{{\"header\":{ToJson(w.Header)},\"encrypted_key\":\"{Base64.EncodeUrl(w.EncryptedKey)}\"}}"));
            json.Append(']');
        }
        json.Append(",\"encrypted_key\":\"").Append(Base64.EncodeUrl(wrapped[0].EncryptedKey)).Append('"');
        json.Append(",\"iv\":\"").Append(Base64.EncodeUrl(iv)).Append('"');
        json.Append(",\"ciphertext\":\"").Append(Base64.EncodeUrl(ciphertext)).Append('"');
        json.Append(",\"tag\":\"").Append(Base64.EncodeUrl(tag)).Append("\"}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    private sealed record WrappedKey(SortedDictionary<string, JsonNode?> Header, byte[] EncryptedKey);

    private static WrappedKey WrapKey(byte[] cek, JweKey key)
    {
        var header = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal) { ["alg"] = key.WrapAlgorithm };
        switch (key.WrapAlgorithm)
        {
            case JweKey.RsaOaep:
                return new WrappedKey(header, key.Rsa!.Encrypt(cek, RSAEncryptionPadding.OaepSHA1));
            case JweKey.RsaOaep256:
                return new WrappedKey(header, key.Rsa!.Encrypt(cek, RSAEncryptionPadding.OaepSHA256));
            default:
                var keyBits = KeyWrapBits(key.WrapAlgorithm) ?? throw new NotSupportedException(key.WrapAlgorithm);
                using (var ephemeral = ECDiffieHellman.Create(JweKey.CurveOf(key.Curve!)))
                {
                    var z = ephemeral.DeriveRawSecretAgreement(key.Ec!.PublicKey);
                    var kek = ConcatKdf.DeriveKey(z, key.WrapAlgorithm, [], [], keyBits);
                    var point = ephemeral.ExportParameters(false).Q;
                    // go-jose's JWK field order: kty, crv, x, y.
                    header["epk"] = JsonNode.Parse($"{{\"kty\":\"EC\",\"crv\":\"{key.Curve}\",\"x\":\"{Base64.EncodeUrl(point.X)}\",\"y\":\"{Base64.EncodeUrl(point.Y)}\"}}");
                    return new WrappedKey(header, AesKeyWrap.Wrap(kek, cek));
                }
        }
    }

    private static int? KeyWrapBits(string algorithm) => algorithm switch
    {
        "ECDH-ES+A128KW" => 128,
        "ECDH-ES+A192KW" => 192,
        JweKey.EcdhEsA256Kw => 256,
        _ => null,
    };

    private static string ToJson(SortedDictionary<string, JsonNode?> header) =>
        "{" + string.Join(",", header.Select(p => $"{JsonSerializer.Serialize(p.Key, Oci.OciJsonContext.Default.String)}:{p.Value?.ToJsonString() ?? "null"}")) + "}";

    /// <summary>
    /// Decrypts a JWE in JSON (flattened or general, with or without go-jose's top-level <c>encrypted_key</c>) or compact
    /// serialization, trying every key against every recipient. Returns null when no key fits.
    /// </summary>
    /// <exception cref="FormatException">The JWE is malformed or uses algorithms this reader does not know.</exception>
    public static byte[]? Decrypt(string jwe, IReadOnlyList<JweKey> keys)
    {
        var message = Parse(jwe);
        foreach (var recipient in message.Recipients)
        {
            var header = Merge(message.ProtectedHeader, message.Unprotected, recipient.Header);
            var algorithm = header["alg"]?.GetValue<string>() ?? throw new FormatException("a JWE recipient has no 'alg'");
            var encryption = header["enc"]?.GetValue<string>() ?? throw new FormatException("the JWE has no 'enc'");
            var cekSize = encryption switch { "A128GCM" => 16, "A192GCM" => 24, "A256GCM" => 32, _ => throw new FormatException($"JWE content encryption '{encryption}' is not supported") };
            foreach (var key in keys)
            {
                var cek = TryUnwrap(algorithm, encryption, cekSize, header, recipient.EncryptedKey, key);
                if (cek is null || cek.Length != cekSize) continue;
                var plaintext = new byte[message.Ciphertext.Length];
                try
                {
                    using var gcm = new AesGcm(cek, message.Tag.Length);
                    gcm.Decrypt(message.Iv, message.Ciphertext, message.Tag, plaintext, message.AdditionalData);
                    return plaintext;
                }
                catch (CryptographicException)
                {
                    // RSA-OAEP can rarely "succeed" with a wrong key; the content tag tells.
                }
            }
        }
        return null;
    }

    private static byte[]? TryUnwrap(string algorithm, string encryption, int cekSize, JsonObject header, byte[] encryptedKey, JweKey key)
    {
        try
        {
            switch (algorithm)
            {
                case JweKey.RsaOaep when key.Rsa is not null:
                    return key.Rsa.Decrypt(encryptedKey, RSAEncryptionPadding.OaepSHA1);
                case JweKey.RsaOaep256 when key.Rsa is not null:
                    return key.Rsa.Decrypt(encryptedKey, RSAEncryptionPadding.OaepSHA256);
                case "ECDH-ES" or "ECDH-ES+A128KW" or "ECDH-ES+A192KW" or JweKey.EcdhEsA256Kw when key.Ec is not null:
                    var epk = header["epk"] as JsonObject ?? throw new FormatException("an ECDH-ES recipient has no 'epk'");
                    if (epk["crv"]?.GetValue<string>() != key.Curve) return null;
                    var size = JweKey.CurveSize(key.Curve!);
                    using (var ephemeral = ECDiffieHellman.Create(new ECParameters
                    {
                        Curve = JweKey.CurveOf(key.Curve!),
                        Q = new ECPoint { X = Pad(Base64.Decode(epk["x"]!.GetValue<string>()), size), Y = Pad(Base64.Decode(epk["y"]!.GetValue<string>()), size) },
                    }))
                    {
                        var z = key.Ec.DeriveRawSecretAgreement(ephemeral.PublicKey);
                        var apu = header["apu"]?.GetValue<string>() is { } u ? Base64.Decode(u) : [];
                        var apv = header["apv"]?.GetValue<string>() is { } v ? Base64.Decode(v) : [];
                        if (algorithm == "ECDH-ES") return ConcatKdf.DeriveKey(z, encryption, apu, apv, cekSize * 8);
                        var kek = ConcatKdf.DeriveKey(z, algorithm, apu, apv, KeyWrapBits(algorithm)!.Value);
                        return AesKeyWrap.Unwrap(kek, encryptedKey);
                    }
                default:
                    return null;
            }
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static byte[] Pad(byte[] value, int size)
    {
        if (value.Length >= size) return value;
        var padded = new byte[size];
        value.CopyTo(padded, size - value.Length);
        return padded;
    }

    private sealed record Recipient(JsonObject? Header, byte[] EncryptedKey);

    private sealed record Message(JsonObject ProtectedHeader, JsonObject? Unprotected, IReadOnlyList<Recipient> Recipients,
        byte[] Iv, byte[] Ciphertext, byte[] Tag, byte[] AdditionalData);

    private static Message Parse(string jwe)
    {
        jwe = jwe.Trim();
        try
        {
            if (!jwe.StartsWith('{'))
            {
                var parts = jwe.Split('.');
                if (parts.Length != 5) throw new FormatException("a compact JWE has five parts");
                return new Message(ParseHeader(parts[0]), null, [new Recipient(null, Base64.Decode(parts[1]))],
                    Base64.Decode(parts[2]), Base64.Decode(parts[3]), Base64.Decode(parts[4]), Encoding.ASCII.GetBytes(parts[0]));
            }
            var root = JsonNode.Parse(jwe) as JsonObject ?? throw new FormatException("a JWE is a JSON object");
            var protectedText = root["protected"]?.GetValue<string>() ?? "";
            var aad = Encoding.ASCII.GetBytes(protectedText);
            if (root["aad"]?.GetValue<string>() is { } extra) aad = Encoding.ASCII.GetBytes(protectedText + "." + extra);
            var recipients = new List<Recipient>();
            if (root["recipients"] is JsonArray { Count: > 0 } array)
            {
                foreach (var entry in array.OfType<JsonObject>())
                    recipients.Add(new Recipient(entry["header"] as JsonObject, Base64.Decode(entry["encrypted_key"]?.GetValue<string>() ?? "")));
            }
            else
            {
                recipients.Add(new Recipient(root["header"] as JsonObject, Base64.Decode(root["encrypted_key"]?.GetValue<string>() ?? "")));
            }
            return new Message(protectedText.Length > 0 ? ParseHeader(protectedText) : [], root["unprotected"] as JsonObject, recipients,
                Base64.Decode(Required(root, "iv")), Base64.Decode(Required(root, "ciphertext")), Base64.Decode(Required(root, "tag")), aad);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new FormatException($"not a valid JWE: {ex.Message}", ex);
        }
    }

    private static string Required(JsonObject root, string name) => root[name]?.GetValue<string>() ?? throw new FormatException($"the JWE has no '{name}'");

    private static JsonObject ParseHeader(string base64) =>
        JsonNode.Parse(Base64.Decode(base64)) as JsonObject ?? throw new FormatException("a JWE header is a JSON object");

    private static JsonObject Merge(params JsonObject?[] headers)
    {
        var merged = new JsonObject();
        foreach (var header in headers.OfType<JsonObject>())
        {
            foreach (var (name, value) in header) merged[name] = value?.DeepClone();
        }
        return merged;
    }
}
