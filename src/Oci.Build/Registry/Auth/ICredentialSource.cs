namespace Oci.Build.Registry.Auth;

/// <summary>One place credentials can come from (environment, docker config, podman auth.json, ...).</summary>
public interface ICredentialSource
{
    /// <summary>The credential stored for exactly this registry host (<c>host[:port]</c>), or null.</summary>
    RegistryCredential? Find(string host);
}

/// <summary>Asks each source in turn; the first that knows the host wins.</summary>
public sealed class CredentialChain(IEnumerable<ICredentialSource> sources) : ICredentialSource
{
    private readonly IReadOnlyList<ICredentialSource> _sources = sources.ToList();

    public static readonly CredentialChain Empty = new([]);

    public RegistryCredential? Find(string host)
    {
        foreach (var source in _sources)
        {
            if (source.Find(host) is { } credential) return credential;
        }
        return null;
    }
}
