using System.Text;
using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Encryption.Cipher;

/// <summary>
/// The secret half of a layer's cipher options (ocicrypt's <c>PrivateLayerBlockCipherOptions</c>): what each recipient's
/// key wrapping protects. Serialized exactly as Go's encoding/json writes the struct, so wrapped keys look the same as
/// ocicrypt's.
/// </summary>
public sealed record PrivateLayerOptions(byte[] SymmetricKey, string? Digest, IReadOnlyDictionary<string, byte[]> CipherOptions)
{
    /// <summary><c>{"symkey":"…","digest":"sha256:…","cipheroptions":{"nonce":"…"}}</c>: Go field order, standard base64, map keys sorted.</summary>
    public byte[] ToJson()
    {
        var text = new StringBuilder();
        text.Append("{\"symkey\":\"").Append(Convert.ToBase64String(SymmetricKey)).Append('"');
        text.Append(",\"digest\":").Append(GoJson.String(Digest ?? ""));
        text.Append(",\"cipheroptions\":").Append(GoJson.ByteMap(CipherOptions)).Append('}');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Reads private options as any ocicrypt-compatible writer produced them. A missing or stale <c>digest</c> is accepted (ocicrypt never checks it).</summary>
    public static PrivateLayerOptions Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            var key = root.TryGetProperty("symkey", out var symkey) && symkey.ValueKind == JsonValueKind.String
                ? GoJson.Bytes(symkey)
                : throw new FormatException("the private options carry no symkey");
            var digest = root.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            return new PrivateLayerOptions(key, string.IsNullOrEmpty(digest) ? null : digest, GoJson.ReadByteMap(root, "cipheroptions"));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new FormatException($"The unwrapped layer options are not valid: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// The public half (ocicrypt's <c>PublicLayerBlockCipherOptions</c>), stored base64-encoded in the
/// <c>org.opencontainers.image.enc.pubopts</c> annotation.
/// </summary>
public sealed record PublicLayerOptions(string Cipher, byte[] Hmac, IReadOnlyDictionary<string, byte[]> CipherOptions)
{
    /// <summary><c>{"cipher":"AES_256_CTR_HMAC_SHA256","hmac":"…","cipheroptions":{}}</c>.</summary>
    public byte[] ToJson() => Encoding.UTF8.GetBytes(
        $"{{\"cipher\":{GoJson.String(Cipher)},\"hmac\":\"{Convert.ToBase64String(Hmac)}\",\"cipheroptions\":{GoJson.ByteMap(CipherOptions)}}}");

    /// <summary>Reads public options; <c>cipher</c> and <c>hmac</c> are required, unknown fields ignored.</summary>
    public static PublicLayerOptions Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            var cipher = root.TryGetProperty("cipher", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() is { Length: > 0 } name
                ? name
                : throw new FormatException("'cipher' is missing");
            var hmac = root.TryGetProperty("hmac", out var h) && h.ValueKind == JsonValueKind.String
                ? GoJson.Bytes(h)
                : throw new FormatException("'hmac' is missing");
            return new PublicLayerOptions(cipher, hmac, GoJson.ReadByteMap(root, "cipheroptions"));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new FormatException($"The public layer options are not valid: {ex.Message}", ex);
        }
    }

    /// <summary>A cipher option, looked up in the public options first and then the private ones (as ocicrypt does).</summary>
    public byte[]? Option(string key, PrivateLayerOptions privateOptions) =>
        CipherOptions.TryGetValue(key, out var value) ? value : privateOptions.CipherOptions.GetValueOrDefault(key);
}

/// <summary>The small part of Go's encoding/json these documents need: strings, []byte as standard base64, sorted maps.</summary>
internal static class GoJson
{
    public static string String(string value) => JsonSerializer.Serialize(value, OciJson.Options.TypeInfo<string>());

    public static string ByteMap(IReadOnlyDictionary<string, byte[]> map) =>
        "{" + string.Join(",", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{String(p.Key)}:\"{Convert.ToBase64String(p.Value)}\"")) + "}";

    /// <summary>Decodes a []byte field: standard base64 as Go writes it; URL-safe or unpadded forms are tolerated.</summary>
    public static byte[] Bytes(JsonElement element) => Base64.Decode(element.GetString() ?? "");

    public static IReadOnlyDictionary<string, byte[]> ReadByteMap(JsonElement parent, string name)
    {
        var map = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (parent.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                    map[property.Name] = Bytes(property.Value);
            }
        }
        return map;
    }
}
