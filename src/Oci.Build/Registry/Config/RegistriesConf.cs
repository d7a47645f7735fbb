using Oci.Build.Oci;
using Tomlyn.Model;

namespace Oci.Build.Registry.Config;

public enum PullFromMirror { All, DigestOnly, TagOnly }

/// <summary>A <c>[[registry.mirror]]</c>: where pulls may go instead of the registry's location.</summary>
public sealed record MirrorRule(string Location, bool Insecure, PullFromMirror PullFrom);

/// <summary>
/// A <c>[[registry]]</c> table of registries.conf v2. <see cref="Prefix"/> is either a name prefix
/// (<c>example.com/team</c>) or a host wildcard (<c>*.example.com</c>, any depth of subdomain).
/// </summary>
public sealed record RegistryRule(string Prefix, string? Location, bool Insecure, bool Blocked, bool MirrorByDigestOnly, IReadOnlyList<MirrorRule> Mirrors, string Source)
{
    public bool IsWildcard => Prefix.StartsWith("*.", StringComparison.Ordinal);

    /// <summary>
    /// How many characters of <paramref name="name"/> (<c>host/repo[:tag][@digest]</c>) this rule's prefix matches, or -1.
    /// The prefix must end at a component boundary: equal, or followed by <c>/</c>, <c>@</c>, or <c>:</c> after a path
    /// (so <c>example.com</c> does not match <c>example.com:5000/x</c>, a different registry).
    /// </summary>
    public int MatchLength(string name)
    {
        if (IsWildcard)
        {
            var host = name.Split('/')[0];
            var hostName = RegistryEndpoint.SplitHost(host).Name;
            return hostName.EndsWith(Prefix[1..], StringComparison.OrdinalIgnoreCase) ? Prefix.Length : -1;
        }
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return -1;
        if (name.Length == Prefix.Length) return Prefix.Length;
        var next = name[Prefix.Length];
        return next == '/' || next == '@' || (next == ':' && Prefix.Contains('/')) ? Prefix.Length : -1;
    }

    /// <summary>The name with the matched prefix replaced by <paramref name="location"/> (wildcards keep the host).</summary>
    public string Rewrite(string name, string? location)
    {
        if (IsWildcard || string.IsNullOrEmpty(location)) return name;
        return location + name[Prefix.Length..];
    }
}

/// <summary>
/// registries.conf v2 (containers/image): prefix/location rewrites, longest prefix wins, <c>*.domain</c> wildcards,
/// <c>insecure</c>, <c>blocked</c>, mirrors for pulls. Drop-ins are read after the main file in name order; a table with
/// the same prefix replaces the earlier one. v1 tables and keys this product does not use are ignored.
/// </summary>
public sealed class RegistriesConf
{
    private readonly List<RegistryRule> _rules;

    private RegistriesConf(List<RegistryRule> rules, IReadOnlyList<string> files)
    {
        _rules = rules;
        Files = files;
    }

    public IReadOnlyList<RegistryRule> Rules => _rules;

    /// <summary>The files that were read, in order.</summary>
    public IReadOnlyList<string> Files { get; }

    public static readonly RegistriesConf Empty = new([], []);

    /// <summary>
    /// <paramref name="explicitPath"/> (ContainerRegistriesConfig) alone when given; else the user's or the system's
    /// registries.conf and the <c>registries.conf.d</c> drop-ins of /usr/share, /etc and the user's config.
    /// </summary>
    public static RegistriesConf Load(string? explicitPath, Func<string, string?> environment)
    {
        var files = new List<string>();
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            if (!File.Exists(explicitPath))
                throw new OciException(ErrorCodes.RegistryConfigInvalid, $"ContainerRegistriesConfig '{explicitPath}' does not exist.");
            files.Add(explicitPath);
        }
        else
        {
            var home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var userConfig = Path.Combine(environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(home, ".config"), "containers");
            var main = Path.Combine(userConfig, "registries.conf");
            if (!File.Exists(main)) main = "/etc/containers/registries.conf";
            if (File.Exists(main)) files.Add(main);
            foreach (var directory in new[] { "/usr/share/containers/registries.conf.d", "/etc/containers/registries.conf.d", Path.Combine(userConfig, "registries.conf.d") })
            {
                if (Directory.Exists(directory))
                    files.AddRange(Directory.EnumerateFiles(directory, "*.conf").Order(StringComparer.Ordinal));
            }
        }
        var rules = new List<RegistryRule>();
        foreach (var file in files) Merge(rules, ParseRules(File.ReadAllText(file), file));
        return new RegistriesConf(rules, files);
    }

    public static RegistriesConf Parse(string text, string source = "registries.conf")
    {
        var rules = new List<RegistryRule>();
        Merge(rules, ParseRules(text, source));
        return new RegistriesConf(rules, [source]);
    }

    /// <summary>The rule with the longest prefix matching <paramref name="name"/>, or null.</summary>
    public RegistryRule? Match(string name)
    {
        RegistryRule? best = null;
        var bestLength = -1;
        foreach (var rule in _rules)
        {
            var length = rule.MatchLength(name);
            if (length > bestLength)
            {
                best = rule;
                bestLength = length;
            }
        }
        return best;
    }

    private static void Merge(List<RegistryRule> rules, IEnumerable<RegistryRule> added)
    {
        foreach (var rule in added)
        {
            var existing = rules.FindIndex(r => r.Prefix == rule.Prefix);
            if (existing >= 0) rules[existing] = rule;
            else rules.Add(rule);
        }
    }

    private static IEnumerable<RegistryRule> ParseRules(string text, string source)
    {
        var model = TomlDocument.Parse(text, source);
        var rules = new List<RegistryRule>();
        foreach (var table in TomlDocument.Tables(model, "registry", source))
        {
            var location = TomlDocument.String(table, "location", source)?.TrimEnd('/');
            var prefix = TomlDocument.String(table, "prefix", source)?.TrimEnd('/');
            if (string.IsNullOrEmpty(prefix)) prefix = location;
            if (string.IsNullOrEmpty(prefix))
                throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': a [[registry]] table needs a prefix or a location.");
            if (prefix.Contains('*') && (!prefix.StartsWith("*.", StringComparison.Ordinal) || prefix.IndexOf('*', 1) >= 0 || prefix.Contains('/')))
                throw new OciException(ErrorCodes.RegistryConfigInvalid,
                    $"'{source}': prefix '{prefix}' is not valid; a wildcard is allowed only as a leading '*.' of a host (e.g. *.example.com).");
            if (prefix.Contains("://"))
                throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': prefix '{prefix}' must be a name (host/path), not a URL.");
            var mirrorByDigestOnly = TomlDocument.Bool(table, "mirror-by-digest-only", source) ?? false;
            var mirrors = TomlDocument.Tables(table, "mirror", source).Select(m =>
            {
                var mirrorLocation = TomlDocument.String(m, "location", source)?.TrimEnd('/');
                if (string.IsNullOrEmpty(mirrorLocation))
                    throw new OciException(ErrorCodes.RegistryConfigInvalid, $"'{source}': a [[registry.mirror]] of '{prefix}' has no location.");
                var pullFrom = TomlDocument.String(m, "pull-from-mirror", source) switch
                {
                    null or "" or "all" => mirrorByDigestOnly ? PullFromMirror.DigestOnly : PullFromMirror.All,
                    "digest-only" => PullFromMirror.DigestOnly,
                    "tag-only" => PullFromMirror.TagOnly,
                    var other => throw new OciException(ErrorCodes.RegistryConfigInvalid,
                        $"'{source}': pull-from-mirror '{other}' is not one of all, digest-only, tag-only."),
                };
                return new MirrorRule(mirrorLocation, TomlDocument.Bool(m, "insecure", source) ?? false, pullFrom);
            }).ToList();
            rules.Add(new RegistryRule(prefix, string.IsNullOrEmpty(location) ? null : location,
                TomlDocument.Bool(table, "insecure", source) ?? false, TomlDocument.Bool(table, "blocked", source) ?? false,
                mirrorByDigestOnly, mirrors, source));
        }
        return rules;
    }
}
