using Oci.Build.Store;
using Oci.Build.Oci;
using Oci.Build.Layers;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Config;
using Oci.Build.Registry.Delegation;
using Oci.Build.Registry.Transport;

namespace Oci.Build.Registry;

/// <summary>
/// Everything a build step needs to talk to registries, from the user's settings and environment: registries.conf,
/// hosts.toml, insecure list, delegation (with its disk cache), credential sources. One place that reads the
/// environment, so the rest of the engine takes plain values.
/// </summary>
public sealed record RegistrySettings
{
    /// <summary>The Oci.Build cache directory: pulled blobs go to its blob store, delegation answers to <c>delegation/</c>.</summary>
    public required string CacheDirectory { get; init; }
    public string? RegistriesConfig { get; init; }
    public string? HostsDirectory { get; init; }
    public bool NameDelegation { get; init; } = true;
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
    public RegistryTransportOptions? Transport { get; init; }
    public DelegationOptions? Delegation { get; init; }

    public ContentStore Cache => new(CacheDirectory);

    public RegistryResolver CreateResolver(IBuildLog log)
    {
        var conf = RegistriesConf.Load(RegistriesConfig, Environment);
        var resolverSettings = new RegistryResolverSettings
        {
            RegistriesConf = conf,
            HostsDirectory = string.IsNullOrWhiteSpace(HostsDirectory) ? null : HostsDirectory,
            InsecureRegistries = RegistryResolverSettings.ParseInsecureList(Environment("DOTNET_CONTAINER_INSECURE_REGISTRIES")),
        };
        var delegationOptions = (Delegation ?? new DelegationOptions()) with
        {
            Enabled = NameDelegation && (Delegation?.Enabled ?? true),
            CacheDirectory = Delegation?.CacheDirectory ?? Path.Combine(CacheDirectory, "delegation"),
            CaFilesFor = domain => HostsToml.Find(resolverSettings.HostsDirectory, domain)?.Server.CaFiles ?? [],
        };
        return new RegistryResolver(resolverSettings, new DelegationResolver(delegationOptions, log), log);
    }

    /// <summary>Credential sources: the SDK's variables bound to the given hosts, then docker's and podman's files.</summary>
    public ICredentialSource CreateCredentials(string? pushHost, string? pullHost) =>
        new CredentialChain(new ICredentialSource[] { new EnvironmentCredentialSource(Environment, pushHost, pullHost) }
            .Concat(DockerConfigCredentialSource.Standard(Environment)));

    public RegistryContext CreateContext(string? pushHost, string? pullHost) => new(CreateCredentials(pushHost, pullHost), Transport);
}
