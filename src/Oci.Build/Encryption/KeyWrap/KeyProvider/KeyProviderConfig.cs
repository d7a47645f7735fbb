using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Encryption.KeyWrap.KeyProvider;

/// <summary>One provider of an ocicrypt key provider configuration: a command (run per request) or a gRPC address.</summary>
public sealed record KeyProviderCommand(string Name, string? Path, IReadOnlyList<string> Arguments, string? Grpc);

/// <summary>
/// The file <c>OCICRYPT_KEYPROVIDER_CONFIG</c> names:
/// <c>{"key-providers":{"NAME":{"cmd":{"path":"...","args":[...]}}}}</c> (or <c>"grpc":"host:port"</c>).
/// </summary>
public static class KeyProviderConfig
{
    public static KeyProviderCommand Find(string? configPath, string name, string what)
    {
        if (string.IsNullOrWhiteSpace(configPath))
            throw new OciException(ErrorCodes.KeyProviderFailed,
                $"{what} names key provider '{name}', but OCICRYPT_KEYPROVIDER_CONFIG is not set: point it at a JSON file with {{\"key-providers\":{{\"{name}\":{{\"cmd\":{{\"path\":\"...\"}}}}}}}}.");
        var providers = Read(configPath, what);
        if (!providers.TryGetValue(name, out var provider))
            throw new OciException(ErrorCodes.KeyProviderFailed,
                $"{what} names key provider '{name}', which '{configPath}' does not configure (it has: {(providers.Count == 0 ? "none" : string.Join(", ", providers.Keys))}).");
        return provider;
    }

    public static IReadOnlyDictionary<string, KeyProviderCommand> Read(string configPath, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
            var result = new Dictionary<string, KeyProviderCommand>(StringComparer.Ordinal);
            if (!document.RootElement.TryGetProperty("key-providers", out var providers) || providers.ValueKind != JsonValueKind.Object)
                return result;
            foreach (var provider in providers.EnumerateObject())
            {
                // Older ocicrypt documentation puts path/args directly under the name; accept both shapes.
                var command = provider.Value.TryGetProperty("cmd", out var cmd) ? cmd : provider.Value;
                var path = command.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
                var arguments = command.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array
                    ? a.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : [];
                var grpc = provider.Value.TryGetProperty("grpc", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
                result[provider.Name] = new KeyProviderCommand(provider.Name, path, arguments, grpc);
            }
            return result;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            throw new OciException(ErrorCodes.KeyProviderFailed, $"{what}: the key provider configuration '{configPath}' cannot be read: {ex.Message}", ex);
        }
    }
}
