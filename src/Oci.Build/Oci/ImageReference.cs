using System.Text.RegularExpressions;

namespace Oci.Build.Oci;

/// <summary>
/// A registry image reference, <c>[registry/]repository[:tag][@digest]</c>, following the distribution reference grammar.
/// A name without a registry is Docker Hub's (<c>docker.io</c>, with <c>library/</c> for one-component names), as every
/// container tool resolves it.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, Digest? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary>The reference as users write it: <c>registry/repository:tag@digest</c>.</summary>
    public override string ToString() =>
        $"{Registry}/{Repository}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";

    /// <summary><c>registry/repository</c>, without tag or digest.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>What to ask a registry for: the digest when pinned, else the tag, else <c>latest</c>.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag ?? "latest";

    public static ImageReference Parse(string text) =>
        TryParse(text, out var reference, out var error) ? reference! : throw new OciException(ErrorCodes.InvalidBaseImage, error!);

    public static bool TryParse(string text, out ImageReference? reference, out string? error)
    {
        reference = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "An image reference is empty.";
            return false;
        }
        var match = ReferencePattern().Match(text);
        if (!match.Success)
        {
            error = $"'{text}' is not a valid image reference: expected [registry/]repository[:tag][@sha256:digest], repository in lowercase.";
            return false;
        }
        var name = match.Groups["name"].Value;
        var (registry, repository) = SplitRegistry(name);
        Digest? digest = null;
        if (match.Groups["digest"].Success)
        {
            if (!Oci.Digest.TryParse(match.Groups["digest"].Value, out var parsed))
            {
                error = $"'{text}': '{match.Groups["digest"].Value}' is not a valid digest.";
                return false;
            }
            digest = parsed;
        }
        if (repository.Length > 255)
        {
            error = $"'{text}': the repository name is longer than 255 characters.";
            return false;
        }
        reference = new ImageReference(registry, repository, match.Groups["tag"].Success ? match.Groups["tag"].Value : null, digest);
        return true;
    }

    /// <summary>True when <paramref name="repository"/> is a valid repository path (no registry, tag or digest).</summary>
    public static bool IsValidRepository(string repository) => RepositoryPattern().IsMatch(repository);

    public static bool IsValidTag(string tag) => TagPattern().IsMatch(tag);

    private static (string Registry, string Repository) SplitRegistry(string name)
    {
        var slash = name.IndexOf('/');
        if (slash > 0)
        {
            var first = name[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper))
                return (first, name[(slash + 1)..]);
        }
        var repository = name.Contains('/') ? name : "library/" + name;
        return (DockerHub, repository);
    }

    private const string Component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private const string Domain = @"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?";

    [GeneratedRegex("^(?<name>(?:" + Domain + "/)?" + Component + "(?:/" + Component + ")*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+))?$")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex("^" + Component + "(?:/" + Component + ")*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();
}
