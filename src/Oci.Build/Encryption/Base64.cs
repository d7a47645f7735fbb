namespace Oci.Build.Encryption;

/// <summary>Base64 as the encrypted-image formats use it: standard with padding in annotations and options, URL-safe without padding inside JWE.</summary>
internal static class Base64
{
    public static string Encode(ReadOnlySpan<byte> data) => Convert.ToBase64String(data);

    public static string EncodeUrl(ReadOnlySpan<byte> data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes standard or URL-safe base64, padded or not (other writers are not always strict; the content is authenticated elsewhere).</summary>
    public static byte[] Decode(string text)
    {
        var normalized = text.Trim().Replace('-', '+').Replace('_', '/');
        normalized = normalized.TrimEnd('=');
        normalized += (normalized.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException($"'{Shorten(text)}' is not base64.") };
        return Convert.FromBase64String(normalized);
    }

    private static string Shorten(string text) => text.Length <= 24 ? text : text[..24] + "…";
}
