using Oci.Build.Oci;
using Tomlyn.Model;

namespace Oci.Build.Registry.Config;

[Flags]
public enum HostCapabilities
{
    None = 0,
    Pull = 1,
    Resolve = 2,
    Push = 4,
    All = Pull | Resolve | Push,
}

/// <summary>One host of a hosts.toml: a <c>[host."URL"]</c> table, or the top-level <c>server</c>.</summary>
public sealed record HostEntry(Uri Url, HostCapabilities Capabilities, IReadOnlyList<string> CaFiles, bool SkipVerify,
    IReadOnlyDictionary<string, string> Headers, bool OverridePath, bool IsServer)
{
    /// <summary><c>host[:port]</c> of the URL.</summary>
    public string Host => Url.IsDefaultPort ? Url.Host : $"{Url.Host}:{Url.Port}";

    /// <summary>The API root: the URL's path when <c>override_path</c>, else <c>/v2</c> (a path in the URL is prepended, as containerd does).</summary>
    public string ApiRoot => OverridePath ? Url.AbsolutePath.TrimEnd('/') : Url.AbsolutePath.TrimEnd('/') + "/v2";
}

/// <summary>
/// containerd's registry host configuration: <c>&lt;dir&gt;/&lt;host&gt;/hosts.toml</c> with <c>server</c>, <c>ca</c>,
/// <c>skip_verify</c>, and <c>[host."https://mirror"]</c> tables (in file order) with <c>capabilities</c>, <c>ca</c>,
/// <c>skip_verify</c>, <c>[header]</c>, <c>override_path</c>. Exact host match only; <c>_default</c> applies to hosts
/// without a directory. <c>client</c> certificates are not supported (reported, not silently ignored).
/// </summary>
public sealed class HostsToml
{
    private HostsToml(string host, IReadOnlyList<HostEntry> hosts, string source)
    {
        RegistryHost = host;
        Hosts = hosts;
        Source = source;
    }

    /// <summary>The registry host this file configures.</summary>
    public string RegistryHost { get; }

    /// <summary>Mirror hosts in file order, then the server (always last).</summary>
    public IReadOnlyList<HostEntry> Hosts { get; }

    public string Source { get; }

    public HostEntry Server => Hosts[^1];

    /// <summary>True when the file sends requests somewhere other than the registry itself (a rewrite, not just TLS settings).</summary>
    public bool Redirects => Hosts.Count > 1 || !string.Equals(Server.Host, RegistryHost, StringComparison.OrdinalIgnoreCase) || Server.OverridePath;

    public IEnumerable<HostEntry> For(HostCapabilities capability) => Hosts.Where(h => (h.Capabilities & capability) != 0);

    /// <summary>The file for <paramref name="host"/> in <paramref name="directory"/> (<c>host_port_</c>, <c>host:port</c>, then <c>_default</c>), or null.</summary>
    public static HostsToml? Find(string? directory, string host)
    {
        if (string.IsNullOrWhiteSpace(directory)) return null;
        if (!Directory.Exists(directory))
            throw new OciException(ErrorCodes.RegistryConfigInvalid, $"ContainerHostsDirectory '{directory}' does not exist.");
        var (name, port) = RegistryEndpoint.SplitHost(host);
        var candidates = port is { } p ? new[] { $"{name}_{p}_", host } : [host];
        foreach (var candidate in candidates.Append("_default"))
        {
            var file = Path.Combine(directory, candidate, "hosts.toml");
            if (File.Exists(file)) return Parse(File.ReadAllText(file), host, file);
        }
        return null;
    }

    public static HostsToml Parse(string text, string registryHost, string source = "hosts.toml")
    {
        var model = TomlDocument.Parse(text, source);
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".";
        var hosts = new List<HostEntry>();
        if (model.TryGetValue("host", out var hostTables) && hostTables is TomlTable tables)
        {
            foreach (var (url, value) in tables)
            {
                if (value is not TomlTable table)
                    throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': [host.\"{url}\"] must be a table.");
                hosts.Add(Entry(ParseUrl(url, source), table, source, baseDirectory, isServer: false));
            }
        }
        var server = TomlDocument.String(model, "server", source);
        var serverUrl = server is { Length: > 0 } ? ParseUrl(server, source) : DefaultServer(registryHost);
        hosts.Add(Entry(serverUrl, model, source, baseDirectory, isServer: true));
        return new HostsToml(registryHost, hosts, source);
    }

    private static Uri DefaultServer(string host) =>
        new($"https://{RegistryEndpoint.ApiHost(host)}");

    private static Uri ParseUrl(string text, string source)
    {
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
            throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': '{text}' is not an http(s) URL.");
        return url;
    }

    private static HostEntry Entry(Uri url, TomlTable table, string source, string baseDirectory, bool isServer)
    {
        if (table.ContainsKey("client"))
            throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': client certificates ('client') are not supported by Oci.Build.");
        var capabilities = HostCapabilities.None;
        if (table.TryGetValue("capabilities", out var caps) && caps is TomlArray list)
        {
            foreach (var capability in list)
            {
                capabilities |= capability switch
                {
                    "pull" => HostCapabilities.Pull,
                    "resolve" => HostCapabilities.Resolve,
                    "push" => HostCapabilities.Push,
                    _ => throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': capability '{capability}' is not pull, resolve or push."),
                };
            }
        }
        else
        {
            capabilities = HostCapabilities.All;
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (table.TryGetValue("header", out var headerTable) && headerTable is TomlTable h)
        {
            foreach (var (name, value) in h)
            {
                headers[name] = value switch
                {
                    string s => s,
                    TomlArray a => string.Join(", ", a.OfType<string>()),
                    _ => throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': header '{name}' must be a string or strings."),
                };
            }
        }
        var cas = TomlDocument.Strings(table, "ca", source).Select(ca => Path.IsPathRooted(ca) ? ca : Path.Combine(baseDirectory, ca)).ToList();
        return new HostEntry(url, capabilities, cas, TomlDocument.Bool(table, "skip_verify", source) ?? false, headers,
            TomlDocument.Bool(table, "override_path", source) ?? false, isServer);
    }
}
