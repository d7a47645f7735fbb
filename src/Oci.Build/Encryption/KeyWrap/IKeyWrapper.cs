namespace Oci.Build.Encryption.KeyWrap;

/// <summary>
/// One key-wrapping scheme (containers/ocicrypt's <c>KeyWrapper</c>): how the private layer options are protected for a kind
/// of recipient, and how they are recovered with a kind of private key. Each scheme lives in its own folder under
/// <c>KeyWrap/</c> and is listed once in <see cref="KeyWrappers"/>; nothing else knows about it.
/// </summary>
public interface IKeyWrapper
{
    /// <summary>The recipient prefix users write, e.g. <c>jwe</c> in <c>jwe:key.pem</c>.</summary>
    string Scheme { get; }

    /// <summary>
    /// Reads and checks one recipient (the text after <c>scheme:</c>). Throws <see cref="Oci.OciException"/> naming
    /// <paramref name="recipient"/> when the value or its key is unusable.
    /// </summary>
    IWrapRecipient ParseRecipient(string value, string recipient, KeyWrapContext context);

    /// <summary>
    /// True when <see cref="Wrap"/> is computation inside this process only (public-key cryptography); false when it reaches
    /// outside (a key provider runs a program), so that it is never done for anything but a real layer's key.
    /// </summary>
    bool WrapsInProcess { get; }

    /// <summary>Wraps <paramref name="privateOptions"/> for every recipient of this scheme: one entry per annotation key.</summary>
    IReadOnlyList<WrappedKeys> Wrap(IReadOnlyList<IWrapRecipient> recipients, byte[] privateOptions, KeyWrapContext context);

    /// <summary>True for the <c>org.opencontainers.image.enc.keys.*</c> annotations this scheme reads.</summary>
    bool Reads(string annotationKey);

    /// <summary>
    /// Tries every usable key in <paramref name="keys"/> against one wrapped entry. Returns the private options, or null when
    /// no key fits; says what it tried in <paramref name="attempts"/> so a failure can tell the user.
    /// </summary>
    byte[]? Unwrap(string annotationKey, byte[] entry, DecryptionKeySet keys, UnwrapAttempts attempts);
}

/// <summary>A parsed, checked recipient of one scheme.</summary>
public interface IWrapRecipient
{
    /// <summary>The recipient as the user wrote it (for messages).</summary>
    string Text { get; }

    /// <summary>A stable identity of the key (not of the file path), so the ciphertext cache notices a changed key.</summary>
    string Identity { get; }
}

/// <summary>One annotation's new entry: <c>Entry</c> is stored base64-encoded under <c>AnnotationKey</c>.</summary>
public sealed record WrappedKeys(string AnnotationKey, byte[] Entry);

/// <summary>What the schemes need from their surroundings.</summary>
public sealed record KeyWrapContext
{
    /// <summary>Relative key file paths are resolved against this.</summary>
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;
    /// <summary>The ocicrypt key provider configuration file (<c>OCICRYPT_KEYPROVIDER_CONFIG</c>), if any.</summary>
    public string? KeyProviderConfigPath { get; init; }
    /// <summary>"Now" for certificate and key validity checks.</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;

    public string Resolve(string path) => Path.GetFullPath(path, BaseDirectory);
}

/// <summary>The keys tried while unwrapping, per scheme, for the error message when none fits.</summary>
public sealed class UnwrapAttempts
{
    private readonly List<string> _lines = [];

    public void Tried(string scheme, string what) => _lines.Add($"{scheme}: {what}");

    public IReadOnlyList<string> Lines => _lines;
}
