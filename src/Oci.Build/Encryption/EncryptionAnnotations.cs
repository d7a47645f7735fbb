namespace Oci.Build.Encryption;

/// <summary>The annotation keys and media types of encrypted layers (containers/ocicrypt's format; see docs/encryption.md).</summary>
public static class EncryptionAnnotations
{
    /// <summary>Every encryption annotation starts with this; decryption removes them all.</summary>
    public const string Prefix = "org.opencontainers.image.enc";
    /// <summary>Wrapped keys: <c>org.opencontainers.image.enc.keys.&lt;scheme&gt;</c>, a comma-separated list of base64 entries.</summary>
    public const string KeysPrefix = "org.opencontainers.image.enc.keys.";
    public const string PublicOptions = "org.opencontainers.image.enc.pubopts";
    public const string EncryptedSuffix = "+encrypted";

    public static string KeysAnnotation(string scheme) => KeysPrefix + scheme;

    public static bool IsEncrypted(string mediaType) => mediaType.EndsWith(EncryptedSuffix, StringComparison.Ordinal);

    public static string ToEncrypted(string mediaType) => mediaType + EncryptedSuffix;

    public static string ToPlain(string mediaType) => IsEncrypted(mediaType) ? mediaType[..^EncryptedSuffix.Length] : mediaType;

    /// <summary>Layer types that can be encrypted (OCI layer types, including the non-distributable ones).</summary>
    public static bool IsEncryptableLayer(string mediaType) =>
        mediaType.StartsWith("application/vnd.oci.image.layer.", StringComparison.Ordinal) && !IsEncrypted(mediaType);
}
