namespace Oci.Build.Registry;

/// <summary>
/// One place to talk to: a registry host and how to reach it. Produced by the resolver from the name, registries.conf,
/// hosts.toml and delegation; consumed by the transport. Carries no credential: those are looked up by <see cref="Host"/>.
/// </summary>
public sealed record RegistryEndpoint
{
    /// <summary><c>host[:port]</c>, as in image names (docker.io is already mapped to its API host).</summary>
    public required string Host { get; init; }

    /// <summary><c>https</c> or <c>http</c> when configuration fixed it (hosts.toml <c>server</c>); null to decide by policy.</summary>
    public string? Scheme { get; init; }

    /// <summary>
    /// Plain HTTP is allowed (insecure registries, loopback): HTTPS is tried first, HTTP when the server speaks no TLS; on a
    /// loopback address, plain HTTP is asked first (<see cref="Transport.RegistryTransport"/>).
    /// </summary>
    public bool AllowPlainHttp { get; init; }

    /// <summary>The certificate is not verified (DOTNET_CONTAINER_INSECURE_REGISTRIES, registries.conf insecure, hosts.toml skip_verify).</summary>
    public bool SkipTlsVerify { get; init; }

    /// <summary>Extra CA certificate files (PEM) trusted for this host besides the system's (hosts.toml <c>ca</c>).</summary>
    public IReadOnlyList<string> CaFiles { get; init; } = [];

    /// <summary>The API root path; <c>/v2</c> unless hosts.toml <c>override_path</c> says otherwise.</summary>
    public string ApiRoot { get; init; } = "/v2";

    /// <summary>containerd mirrors get <c>?ns=&lt;origin registry&gt;</c> on every request.</summary>
    public string? Namespace { get; init; }

    /// <summary>Extra headers for every request (hosts.toml <c>[header]</c>).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>True for a mirror: used for pulls only, never receives the origin's credentials.</summary>
    public bool IsMirror { get; init; }

    /// <summary>The host name without port, lowercased.</summary>
    public string HostName => SplitHost(Host).Name;

    public override string ToString() => Scheme is null ? Host : $"{Scheme}://{Host}";

    // Value equality over the lists' and headers' contents too: the resolver builds a new endpoint for every name, and the
    // per-endpoint HTTP clients and token caches are keyed by endpoint, so reference-equal collections would never hit.
    public bool Equals(RegistryEndpoint? other) =>
        other is not null &&
        Host == other.Host && Scheme == other.Scheme && AllowPlainHttp == other.AllowPlainHttp && SkipTlsVerify == other.SkipTlsVerify &&
        ApiRoot == other.ApiRoot && Namespace == other.Namespace && IsMirror == other.IsMirror &&
        CaFiles.SequenceEqual(other.CaFiles) &&
        Headers.Count == other.Headers.Count && Headers.All(h => other.Headers.TryGetValue(h.Key, out var v) && v == h.Value);

    public override int GetHashCode() => HashCode.Combine(Host, Scheme, AllowPlainHttp, SkipTlsVerify, ApiRoot, Namespace, IsMirror, CaFiles.Count);

    /// <summary>localhost, 127.0.0.0/8 and ::1: plain HTTP is allowed there, as docker and podman do.</summary>
    public static bool IsLoopback(string host)
    {
        var name = SplitHost(host).Name.Trim('[', ']');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return System.Net.IPAddress.TryParse(name, out var address) && System.Net.IPAddress.IsLoopback(address);
    }

    public static bool IsIpLiteral(string host) => System.Net.IPAddress.TryParse(SplitHost(host).Name.Trim('[', ']'), out _);

    public static (string Name, int? Port) SplitHost(string host)
    {
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']');
            var rest = close >= 0 ? host[(close + 1)..] : "";
            return (host[..(close + 1)].ToLowerInvariant(), rest.StartsWith(':') && int.TryParse(rest[1..], out var p6) ? p6 : null);
        }
        var colon = host.LastIndexOf(':');
        if (colon > 0 && int.TryParse(host[(colon + 1)..], out var port)) return (host[..colon].ToLowerInvariant(), port);
        return (host.ToLowerInvariant(), null);
    }

    /// <summary>Docker Hub's names (<c>docker.io</c>, <c>index.docker.io</c>) answer the API at registry-1.docker.io.</summary>
    public static string ApiHost(string registry) => registry is "docker.io" or "index.docker.io" ? "registry-1.docker.io" : registry;
}
