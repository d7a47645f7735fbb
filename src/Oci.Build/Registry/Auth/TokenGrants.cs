using System.Text;
using System.Text.Json;

namespace Oci.Build.Registry.Auth;

/// <summary>
/// What a bearer token says it allows, read from its JWT <c>access</c> claim (the distribution token format). Used only
/// to decide whether a cross-repository mount is worth trying; the registry still decides. Null when the token is opaque.
/// </summary>
public sealed class TokenGrants
{
    private readonly Dictionary<string, HashSet<string>> _actions;

    private TokenGrants(Dictionary<string, HashSet<string>> actions) => _actions = actions;

    public bool Allows(string repository, string action) =>
        _actions.TryGetValue(repository, out var actions) && (actions.Contains(action) || actions.Contains("*"));

    public static TokenGrants? TryRead(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            var actions = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("access", out var access) || access.ValueKind != JsonValueKind.Array)
                return new TokenGrants(actions);
            foreach (var entry in access.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object) continue;
                if (!entry.TryGetProperty("type", out var type) || type.GetString() != "repository") continue;
                if (!entry.TryGetProperty("name", out var name) || name.GetString() is not { } repository) continue;
                var set = actions.TryGetValue(repository, out var existing) ? existing : actions[repository] = new HashSet<string>(StringComparer.Ordinal);
                if (entry.TryGetProperty("actions", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var action in list.EnumerateArray())
                    {
                        if (action.GetString() is { } text) set.Add(text);
                    }
                }
            }
            return new TokenGrants(actions);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }
}
