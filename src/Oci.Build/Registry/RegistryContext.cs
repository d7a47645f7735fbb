using System.Collections.Concurrent;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transport;

namespace Oci.Build.Registry;

/// <summary>
/// The registry session of one build step: one transport, one authenticator per host (so tokens are cached per host
/// and scope), one client per endpoint. Credentials are looked up by the endpoint's own host only.
/// </summary>
public sealed class RegistryContext(ICredentialSource credentials, RegistryTransportOptions? transportOptions = null) : IDisposable
{
    private readonly RegistryTransport _transport = new(transportOptions);
    private readonly ConcurrentDictionary<string, RegistryAuthenticator> _authenticators = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<RegistryEndpoint, RegistryClient> _clients = new();

    public RegistryTransport Transport => _transport;

    public RegistryClient ClientFor(RegistryEndpoint endpoint) => _clients.GetOrAdd(endpoint, e =>
    {
        var authenticator = _authenticators.GetOrAdd(e.Host, _ => new RegistryAuthenticator(e, credentials, _transport));
        return new RegistryClient(new RegistryConnection(e, _transport, authenticator));
    });

    public void Dispose() => _transport.Dispose();
}
