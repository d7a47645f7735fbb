using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Encryption.KeyWrap.KeyProvider;

/// <summary>
/// <c>provider:NAME[:PARAMS]</c>: hands the private options to an ocicrypt key provider (a KMS such as Vault behind a
/// small program) and stores what it returns in <c>org.opencontainers.image.enc.keys.provider.NAME</c>. Only the command
/// form is supported; the protocol JSON is written exactly as ocicrypt marshals it.
/// </summary>
public sealed class KeyProviderKeyWrapper : IKeyWrapper
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string AnnotationPrefix = EncryptionAnnotations.KeysPrefix + "provider.";

    public string Scheme => "provider";

    // The provider is a program the operator configured: it is run for real layer keys only.
    public bool WrapsInProcess => false;

    public IWrapRecipient ParseRecipient(string value, string recipient, KeyWrapContext context)
    {
        var (name, parameters) = Split(value);
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new OciException(ErrorCodes.MalformedRecipient, $"Encryption recipient '{recipient}': '{name}' is not a key provider name (letters, digits, '-', '_', '.').");
        var command = KeyProviderConfig.Find(context.KeyProviderConfigPath, name, $"Encryption recipient '{recipient}'");
        CheckRunnable(command, $"Encryption recipient '{recipient}'");
        return new ProviderRecipient(recipient, command, parameters);
    }

    public IReadOnlyList<WrappedKeys> Wrap(IReadOnlyList<IWrapRecipient> recipients, byte[] privateOptions, KeyWrapContext context)
    {
        var all = recipients.Cast<ProviderRecipient>().ToList();
        // As ocicrypt: every provider sees the parameters of all provider recipients, keyed by provider name.
        var parameters = ParametersJson(all.Select(r => (r.Command.Name, r.Parameters)));
        var results = new List<WrappedKeys>();
        foreach (var provider in all.GroupBy(r => r.Command.Name))
        {
            var recipient = provider.First();
            var input = $"{{\"op\":\"keywrap\",\"keywrapparams\":{{\"ec\":{{\"Parameters\":{parameters},\"DecryptConfig\":{{\"Parameters\":{{}}}}}},\"optsdata\":\"{Base64.Encode(privateOptions)}\"}},\"keyunwrapparams\":{{\"dc\":null,\"annotation\":null}}}}";
            var output = Run(recipient.Command, input, $"Encryption recipient '{recipient.Text}'");
            var annotation = ReadBytes(output, "keywrapresults", "annotation")
                ?? throw new OciException(ErrorCodes.KeyProviderFailed, $"Encryption recipient '{recipient.Text}': key provider '{provider.Key}' returned no keywrapresults.annotation.");
            results.Add(new WrappedKeys(AnnotationPrefix + provider.Key, annotation));
        }
        return results;
    }

    public bool Reads(string annotationKey) => annotationKey.StartsWith(AnnotationPrefix, StringComparison.Ordinal);

    public byte[]? Unwrap(string annotationKey, byte[] entry, DecryptionKeySet keys, UnwrapAttempts attempts)
    {
        var name = annotationKey[AnnotationPrefix.Length..];
        var requested = keys.Providers.Select(Split).Where(p => p.Name == name).ToList();
        if (requested.Count == 0)
        {
            attempts.Tried(Scheme, $"key provider '{name}' was not given (add provider:{name} to the decryption keys)");
            return null;
        }
        KeyProviderCommand command;
        try
        {
            command = KeyProviderConfig.Find(keys.Context.KeyProviderConfigPath, name, $"Decryption with key provider '{name}'");
            CheckRunnable(command, $"Decryption with key provider '{name}'");
        }
        catch (OciException ex)
        {
            attempts.Tried(Scheme, ex.Message);
            return null;
        }
        var input = $"{{\"op\":\"keyunwrap\",\"keywrapparams\":{{\"ec\":null,\"optsdata\":null}},\"keyunwrapparams\":{{\"dc\":{{\"Parameters\":{ParametersJson(requested)}}},\"annotation\":\"{Base64.Encode(entry)}\"}}}}";
        attempts.Tried(Scheme, $"key provider '{name}'");
        try
        {
            return ReadBytes(Run(command, input, $"Key provider '{name}'"), "keyunwrapresults", "optsdata");
        }
        catch (OciException ex)
        {
            // Like ocicrypt: a provider that cannot unwrap is one more key that did not fit.
            attempts.Tried(Scheme, ex.Message);
            return null;
        }
    }

    private static (string Name, string? Parameters) Split(string value)
    {
        var colon = value.IndexOf(':');
        return colon < 0 ? (value, null) : (value[..colon], value[(colon + 1)..]);
    }

    /// <summary>Go's map[string][][]byte: sorted names, each a list of standard base64 values; "Enabled" when no parameters were given.</summary>
    private static string ParametersJson(IEnumerable<(string Name, string? Parameters)> providers) =>
        "{" + string.Join(",", providers.GroupBy(p => p.Name).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
            $"{JsonSerializer.Serialize(g.Key, Oci.OciJsonContext.Default.String)}:[{string.Join(",", g.Select(p => $"\"{Base64.Encode(Encoding.UTF8.GetBytes(p.Parameters ?? "Enabled"))}\""))}]")) + "}";

    private static void CheckRunnable(KeyProviderCommand command, string what)
    {
        if (command.Path is null)
            throw new OciException(ErrorCodes.KeyProviderFailed, command.Grpc is not null
                ? $"{what}: key provider '{command.Name}' is a gRPC provider ({command.Grpc}); only command providers (\"cmd\") are supported."
                : $"{what}: key provider '{command.Name}' has no command path.");
        if (!File.Exists(command.Path))
            throw new OciException(ErrorCodes.KeyProviderFailed, $"{what}: key provider '{command.Name}' cannot be reached: '{command.Path}' does not exist.");
    }

    private static JsonDocument Run(KeyProviderCommand command, string input, string what)
    {
        var info = new ProcessStartInfo(command.Path!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments) info.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(info) ?? throw new InvalidOperationException("the process did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                process.StandardInput.Write(input);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The provider exited without reading its request; its exit code and stderr say why.
            }
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new OciException(ErrorCodes.KeyProviderFailed, $"{what}: key provider '{command.Name}' did not answer within {Timeout.TotalSeconds:F0} s.");
            }
            if (process.ExitCode != 0)
                throw new OciException(ErrorCodes.KeyProviderFailed, $"{what}: key provider '{command.Name}' failed (exit code {process.ExitCode}): {stderr.Result.Trim()}");
            return JsonDocument.Parse(stdout.Result);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            throw new OciException(ErrorCodes.KeyProviderFailed, $"{what}: key provider '{command.Name}' cannot be started ('{command.Path}'): {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new OciException(ErrorCodes.KeyProviderFailed, $"{what}: key provider '{command.Name}' did not answer with JSON: {ex.Message}", ex);
        }
    }

    private static byte[]? ReadBytes(JsonDocument document, string section, string field)
    {
        using (document)
        {
            return document.RootElement.TryGetProperty(section, out var s) && s.ValueKind == JsonValueKind.Object
                && s.TryGetProperty(field, out var f) && f.ValueKind == JsonValueKind.String ? Base64.Decode(f.GetString()!) : null;
        }
    }

    private sealed record ProviderRecipient(string Text, KeyProviderCommand Command, string? Parameters) : IWrapRecipient
    {
        public string Identity => $"provider:{Command.Name}:{Parameters}";
    }
}
