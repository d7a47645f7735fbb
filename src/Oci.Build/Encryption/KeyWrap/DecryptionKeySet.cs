using Oci.Build.Oci;

namespace Oci.Build.Encryption.KeyWrap;

/// <summary>A private key file given for decryption, with its passphrase if it has one.</summary>
public sealed record DecryptionKeyFile(string Path, byte[] Content, string? Passphrase)
{
    public string Name => System.IO.Path.GetFileName(Path);
}

/// <summary>
/// Everything a decryption may use: key files (each scheme takes the ones it understands: PEM/DER/JWK private keys,
/// OpenPGP secret keyrings, certificates) and key providers (<c>provider:NAME[:PARAMS]</c>).
/// </summary>
public sealed class DecryptionKeySet
{
    private readonly Dictionary<string, object> _parsed = new(StringComparer.Ordinal);

    public DecryptionKeySet(IReadOnlyList<DecryptionKeyFile> files, IReadOnlyList<string> providers, KeyWrapContext context)
    {
        Files = files;
        Providers = providers;
        Context = context;
    }

    public IReadOnlyList<DecryptionKeyFile> Files { get; }

    /// <summary>Key providers to ask, as <c>NAME[:PARAMS]</c>.</summary>
    public IReadOnlyList<string> Providers { get; }

    public KeyWrapContext Context { get; }

    /// <summary>A scheme's parsed view of the keys, computed once per key set.</summary>
    public T Parsed<T>(string scheme, Func<DecryptionKeySet, T> parse) where T : notnull
    {
        lock (_parsed)
        {
            if (!_parsed.TryGetValue(scheme, out var value)) _parsed[scheme] = value = parse(this);
            return (T)value;
        }
    }

    /// <summary>
    /// Reads keys: <c>FILE</c>, <c>FILE:pass-file=PATH</c> (the passphrase is the file's first line),
    /// <c>FILE:pass-env=VARIABLE</c>, or <c>provider:NAME[:PARAMS]</c>. Relative paths are resolved against the
    /// context's base directory. skopeo's inline <c>FILE:pass=PASSPHRASE</c> is refused unless
    /// <paramref name="allowInlinePassphrase"/>: a passphrase written into an argument or an MSBuild property shows in
    /// the process list and the detailed build log.
    /// </summary>
    public static DecryptionKeySet Load(IEnumerable<string> keys, KeyWrapContext context, IReadOnlyDictionary<string, string>? passphrases = null,
        bool allowInlinePassphrase = false, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var files = new List<DecryptionKeyFile>();
        var providers = new List<string>();
        foreach (var raw in keys.Select(k => k.Trim()).Where(k => k.Length > 0))
        {
            if (raw.StartsWith("provider:", StringComparison.Ordinal))
            {
                providers.Add(raw["provider:".Length..]);
                continue;
            }
            var (path, kind, value) = SplitPassphrase(raw);
            var passphrase = kind switch
            {
                null => null,
                "pass" when allowInlinePassphrase => value,
                "pass" => throw new OciException(ErrorCodes.InlinePassphrase,
                    $"The decryption key '{path}' carries its passphrase inline (':pass='), where process lists and build logs show it. " +
                    $"Use '{path}:pass-file=FILE' (a file readable only by you) or '{path}:pass-env=VARIABLE' instead."),
                "pass-file" => ReadPassphraseFile(context.Resolve(value!), path),
                _ => environment(value!) is { Length: > 0 } fromEnvironment ? fromEnvironment
                    : throw new OciException(ErrorCodes.DecryptionKeyUnreadable,
                        $"The passphrase of decryption key '{path}' is to come from the environment variable {value}, which is not set."),
            };
            if (passphrase is null && passphrases is not null && passphrases.TryGetValue(raw, out var given)) passphrase = given;
            var full = context.Resolve(path);
            try
            {
                files.Add(new DecryptionKeyFile(full, File.ReadAllBytes(full), passphrase));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new OciException(ErrorCodes.DecryptionKeyUnreadable, $"Decryption key '{path}' cannot be read: {ex.Message}", ex);
            }
        }
        if (files.Count == 0 && providers.Count == 0)
            throw new OciException(ErrorCodes.DecryptionKeyUnreadable, "No decryption key was given: pass private key files (PEM/DER/JWK, an OpenPGP secret keyring, a PKCS7 key and its certificate) or provider:NAME.");
        return new DecryptionKeySet(files, providers, context);
    }

    private static (string Path, string? Kind, string? Value) SplitPassphrase(string raw)
    {
        foreach (var kind in new[] { "pass-file", "pass-env", "pass" })
        {
            var marker = raw.LastIndexOf($":{kind}=", StringComparison.Ordinal);
            if (marker > 0) return (raw[..marker], kind, raw[(marker + kind.Length + 2)..]);
        }
        return (raw, null, null);
    }

    private static string ReadPassphraseFile(string file, string key)
    {
        try
        {
            using var reader = new StreamReader(file);
            var buffer = new char[4096];
            var read = reader.ReadBlock(buffer, 0, buffer.Length);
            var text = new string(buffer, 0, read);
            var end = text.IndexOfAny(['\r', '\n']);
            return end >= 0 ? text[..end] : text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OciException(ErrorCodes.DecryptionKeyUnreadable, $"The passphrase file of decryption key '{key}' cannot be read: {ex.Message}", ex);
        }
    }
}
