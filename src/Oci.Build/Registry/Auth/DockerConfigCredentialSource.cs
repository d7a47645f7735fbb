using System.Text;
using System.Text.Json;
using Oci.Build.Oci;

namespace Oci.Build.Registry.Auth;

/// <summary>
/// Credentials the way docker, podman and skopeo store them: a <c>config.json</c> / <c>auth.json</c> with <c>auths</c>
/// (base64 <c>user:password</c>, or <c>identitytoken</c>), <c>credHelpers</c> (per host) and <c>credsStore</c> (default
/// helper). Keys are matched on the host alone (<c>https://host/v1/</c> and <c>host</c> name the same registry), so a
/// credential stored for one host is never offered to another.
/// </summary>
public sealed class DockerConfigCredentialSource(string path, Func<string, CredentialHelper>? helperFactory = null) : ICredentialSource
{
    private readonly Func<string, CredentialHelper> _helperFactory = helperFactory ?? (name => new CredentialHelper(name));
    private ConfigFile? _file;

    public string Path { get; } = path;

    /// <summary>The files containers tools read, in their order: docker's, then podman's.</summary>
    public static IEnumerable<DockerConfigCredentialSource> Standard(Func<string, string?> environment)
    {
        var home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var docker = environment("DOCKER_CONFIG") is { Length: > 0 } dockerConfig
            ? System.IO.Path.Combine(dockerConfig, "config.json")
            : System.IO.Path.Combine(home, ".docker", "config.json");
        var candidates = new List<string> { docker };
        if (environment("REGISTRY_AUTH_FILE") is { Length: > 0 } authFile) candidates.Insert(0, authFile);
        if (environment("XDG_RUNTIME_DIR") is { Length: > 0 } runtime) candidates.Add(System.IO.Path.Combine(runtime, "containers", "auth.json"));
        candidates.Add(System.IO.Path.Combine(environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : System.IO.Path.Combine(home, ".config"), "containers", "auth.json"));
        return candidates.Distinct().Where(File.Exists).Select(p => new DockerConfigCredentialSource(p));
    }

    public RegistryCredential? Find(string host)
    {
        var file = _file ??= ConfigFile.Load(Path);
        var key = NormalizeHost(host);
        if (file.Helpers.TryGetValue(key, out var helperName))
            return _helperFactory(helperName).Get(ServerUrl(key));
        if (file.Auths.TryGetValue(key, out var entry))
        {
            var credential = entry.ToCredential(Path);
            if (credential is not null) return credential;
        }
        return file.Store is { } store ? _helperFactory(store).Get(ServerUrl(key)) : null;
    }

    /// <summary>Docker Hub's historical key is <c>https://index.docker.io/v1/</c>; helpers expect that URL for it.</summary>
    private static string ServerUrl(string host) => host == "docker.io" ? "https://index.docker.io/v1/" : host;

    /// <summary><c>https://host/v1/</c>, <c>http://host</c>, <c>host/path</c> -> <c>host</c>; Docker Hub's aliases -> <c>docker.io</c>.</summary>
    public static string NormalizeHost(string key)
    {
        var text = key.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) text = text[(scheme + 3)..];
        var slash = text.IndexOf('/');
        if (slash >= 0) text = text[..slash];
        text = text.ToLowerInvariant();
        return text is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? "docker.io" : text;
    }

    /// <summary><c>host/namespace</c> (podman's per-repository keys), as opposed to <c>host</c> or docker's <c>https://host/v1/</c>.</summary>
    private static bool IsRepositoryScoped(string key)
    {
        var text = key.Trim();
        if (text.Contains("://", StringComparison.Ordinal)) return false; // URL forms carry an API path, not a namespace
        var slash = text.IndexOf('/');
        return slash >= 0 && slash < text.TrimEnd('/').Length - 1;
    }

    private sealed record AuthEntry(string? Auth, string? Username, string? Password, string? IdentityToken)
    {
        public RegistryCredential? ToCredential(string path)
        {
            var origin = path;
            string? user = Username, password = Password;
            if (!string.IsNullOrEmpty(Auth))
            {
                string decoded;
                try
                {
                    decoded = Encoding.UTF8.GetString(Convert.FromBase64String(Auth));
                }
                catch (FormatException)
                {
                    throw new OciException(ErrorCodes.RegistryConfigInvalid, $"An 'auth' entry in '{path}' is not base64 'user:password'.");
                }
                var colon = decoded.IndexOf(':');
                if (colon < 0) throw new OciException(ErrorCodes.RegistryConfigInvalid, $"An 'auth' entry in '{path}' is not base64 'user:password'.");
                user = decoded[..colon];
                password = decoded[(colon + 1)..];
            }
            if (!string.IsNullOrEmpty(IdentityToken)) return RegistryCredential.Identity(user, IdentityToken, origin);
            if (!string.IsNullOrEmpty(user) && !string.IsNullOrEmpty(password)) return RegistryCredential.FromUserAndSecret(user, password, origin);
            return null;
        }
    }

    private sealed class ConfigFile
    {
        public Dictionary<string, AuthEntry> Auths { get; } = new(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, string> Helpers { get; } = new(StringComparer.OrdinalIgnoreCase);
        public string? Store { get; private set; }

        public static ConfigFile Load(string path)
        {
            var file = new ConfigFile();
            if (!File.Exists(path)) return file;
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllBytes(path));
                var root = json.RootElement;
                if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
                {
                    var scopedOnly = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var property in auths.EnumerateObject())
                    {
                        var value = property.Value;
                        string? Read(string name) => value.ValueKind == JsonValueKind.Object && value.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                        var host = NormalizeHost(property.Name);
                        var entry = new AuthEntry(Read("auth"), Read("username"), Read("password"), Read("identitytoken"));
                        // podman writes repository-scoped keys (host/namespace). Lookups here are per host, so an entry for
                        // the whole host beats a scoped one wherever it appears; a scoped one serves only when nothing else
                        // names the host. Among equals the first spelling wins, as in docker.
                        if (IsRepositoryScoped(property.Name))
                        {
                            if (file.Auths.TryAdd(host, entry)) scopedOnly.Add(host);
                        }
                        else if (scopedOnly.Remove(host))
                        {
                            file.Auths[host] = entry;
                        }
                        else
                        {
                            file.Auths.TryAdd(host, entry);
                        }
                    }
                }
                if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in helpers.EnumerateObject())
                    {
                        if (property.Value.GetString() is { Length: > 0 } helper) file.Helpers[NormalizeHost(property.Name)] = helper;
                    }
                }
                if (root.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String && store.GetString() is { Length: > 0 } name)
                    file.Store = name;
            }
            catch (JsonException ex)
            {
                // Only the position is reported: the parser's message may quote content, and this file holds secrets.
                throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{path}' is not valid JSON (line {ex.LineNumber + 1}); fix or remove it.");
            }
            return file;
        }
    }
}
