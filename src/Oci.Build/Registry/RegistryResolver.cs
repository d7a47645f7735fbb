using Oci.Build.Oci;
using Oci.Build.Registry.Config;
using Oci.Build.Registry.Delegation;

namespace Oci.Build.Registry;

/// <summary>Where a name's repository is reached: an endpoint and the repository path on it.</summary>
public sealed record RegistryLocation(RegistryEndpoint Endpoint, string Repository)
{
    public override string ToString() => $"{Endpoint.Host}/{Repository}";
}

/// <summary>A name resolved for pulling (mirrors first, the location last) or pushing (one location).</summary>
public sealed record ResolvedName(ImageReference Original, IReadOnlyList<RegistryLocation> Locations, string? How)
{
    /// <summary>The location itself (never a mirror): where credentials for the name are bound, where pushes go.</summary>
    public RegistryLocation Primary => Locations.LastOrDefault(l => !l.Endpoint.IsMirror) ?? Locations[^1];
}

public sealed record RegistryResolverSettings
{
    public RegistriesConf RegistriesConf { get; init; } = RegistriesConf.Empty;
    /// <summary>containerd hosts directory (ContainerHostsDirectory), or null.</summary>
    public string? HostsDirectory { get; init; }
    /// <summary>DOTNET_CONTAINER_INSECURE_REGISTRIES: hosts reached without TLS verification (plain HTTP allowed).</summary>
    public IReadOnlySet<string> InsecureRegistries { get; init; } = new HashSet<string>();

    public static IReadOnlySet<string> ParseInsecureList(string? value) =>
        (value ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(h => h.ToLowerInvariant()).ToHashSet();
}

/// <summary>
/// Policy only: turns an image name into the endpoints to talk to. Order of authority: registries.conf (longest
/// prefix; blocked, insecure, rewrite, mirrors for pulls), else name delegation (network discovery, off with
/// ContainerNameDelegation=false), then containerd hosts.toml for each resulting host (its mirrors, server, CA,
/// skip_verify). The original name is never changed; only where its bytes come from or go to.
/// </summary>
public sealed class RegistryResolver(RegistryResolverSettings settings, DelegationResolver? delegation, IBuildLog log)
{
    public RegistryResolverSettings Settings => settings;

    public ResolvedName ResolvePull(ImageReference reference) => Resolve(reference, push: false);

    public ResolvedName ResolvePush(ImageReference reference) => Resolve(reference, push: true);

    private ResolvedName Resolve(ImageReference reference, bool push)
    {
        var name = reference.Name;
        var candidates = new List<(string Name, bool Insecure, bool Mirror)>();
        string? how = null;

        var rule = MatchRule(reference);
        if (rule is not null)
        {
            how = $"registries.conf rule '{rule.Prefix}' ({rule.Source})";
            AddRule(rule, reference, push, candidates);
        }
        else if (delegation is not null && ShouldDiscover(reference.Registry) && !(HostsToml.Find(settings.HostsDirectory, reference.Registry)?.Redirects ?? false)
                 && delegation.Find(reference.Registry)?.Match(name, push) is { } entry)
        {
            var delegated = entry.Rewrite(name);
            how = $"delegated by https://{reference.Registry}{DelegationResolver.WellKnownPath} ({entry.Prefix} -> {entry.Location})";
            // The delegate's own static rules (an enterprise mirror of it, say) still apply.
            var delegatedReference = ParseName(delegated, reference);
            if (MatchRule(delegatedReference) is { } delegateRule) AddRule(delegateRule, delegatedReference, push, candidates);
            else candidates.Add((delegated, false, false));
        }
        else
        {
            candidates.Add((name, false, false));
        }

        var locations = new List<RegistryLocation>();
        foreach (var (candidate, insecure, mirror) in candidates)
        {
            var parsed = ParseName(candidate, reference);
            locations.AddRange(Expand(parsed.Registry, parsed.Repository, insecure, mirror, push));
        }
        if (locations.Count == 0)
            throw new OciException(ErrorCodes.RegistryConfigInvalid, $"No host in the configuration may {(push ? "push" : "pull")} {name} (check hosts.toml capabilities).");
        var resolved = new ResolvedName(reference, locations, how);
        if (how is not null || locations.Count > 1 || !string.Equals(resolved.Primary.ToString(), RegistryEndpoint.ApiHost(reference.Registry) + "/" + reference.Repository, StringComparison.Ordinal))
            log.Detail($"{name} -> {string.Join(", then ", locations)}{(how is null ? "" : $" ({how})")}");
        return resolved;
    }

    private RegistryRule? MatchRule(ImageReference reference)
    {
        var rule = settings.RegistriesConf.Match(reference.ToString());
        if (rule is { Blocked: true })
            throw new OciException(ErrorCodes.RegistryBlocked, $"{reference} is blocked by registries.conf (rule '{rule.Prefix}' in {rule.Source}).");
        return rule;
    }

    private static void AddRule(RegistryRule rule, ImageReference reference, bool push, List<(string, bool, bool)> candidates)
    {
        var name = reference.Name;
        if (!push)
        {
            foreach (var mirror in rule.Mirrors)
            {
                var applies = mirror.PullFrom switch
                {
                    PullFromMirror.DigestOnly => reference.Digest is not null,
                    PullFromMirror.TagOnly => reference.Digest is null,
                    _ => true,
                };
                if (applies) candidates.Add((rule.Rewrite(name, mirror.Location), mirror.Insecure, true));
            }
        }
        candidates.Add((rule.MatchLength(name) >= 0 ? rule.Rewrite(name, rule.Location) : name, rule.Insecure, false));
    }

    /// <summary>Expands one host through its hosts.toml (mirrors with the capability, then the server).</summary>
    private IEnumerable<RegistryLocation> Expand(string host, string repository, bool insecure, bool mirror, bool push)
    {
        var hosts = HostsToml.Find(settings.HostsDirectory, host);
        if (hosts is null)
        {
            yield return new RegistryLocation(Endpoint(RegistryEndpoint.ApiHost(host), insecure, mirror), repository);
            yield break;
        }
        var capability = push ? Config.HostCapabilities.Push : Config.HostCapabilities.Pull;
        foreach (var entry in hosts.For(capability))
        {
            var differs = !string.Equals(entry.Host, RegistryEndpoint.ApiHost(host), StringComparison.OrdinalIgnoreCase);
            if (push && differs && !entry.IsServer) continue; // mirrors never receive pushes
            var endpoint = Endpoint(entry.Host, insecure || entry.SkipVerify, mirror || differs) with
            {
                Scheme = entry.Url.Scheme,
                CaFiles = entry.CaFiles,
                ApiRoot = entry.ApiRoot,
                Headers = entry.Headers,
                Namespace = differs ? host : null,
            };
            yield return new RegistryLocation(endpoint, repository);
        }
    }

    private RegistryEndpoint Endpoint(string host, bool insecure, bool mirror)
    {
        var listed = settings.InsecureRegistries.Contains(host.ToLowerInvariant());
        return new RegistryEndpoint
        {
            Host = host,
            AllowPlainHttp = insecure || listed || RegistryEndpoint.IsLoopback(host),
            SkipTlsVerify = insecure || listed,
            IsMirror = mirror,
        };
    }

    /// <summary>Discovery is for DNS names a user could own; IP literals and Docker Hub never delegate.</summary>
    public static bool ShouldDiscover(string registry) =>
        !RegistryEndpoint.IsIpLiteral(registry)
        && registry is not ("docker.io" or "index.docker.io" or "registry-1.docker.io")
        && (registry.Contains('.') || RegistryEndpoint.SplitHost(registry).Name == "localhost");

    private static ImageReference ParseName(string name, ImageReference original)
    {
        if (!ImageReference.TryParse(name, out var parsed, out var error))
            throw new OciException(ErrorCodes.RegistryConfigInvalid, $"Rewriting {original.Name} gave '{name}', which is not a valid name: {error}");
        return parsed! with { Tag = original.Tag, Digest = original.Digest };
    }
}
