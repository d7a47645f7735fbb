using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Oci.Build.Registry;
using Oci.Build.Tests.Registry.Support;

namespace Oci.Build.Tests.Registry;

/// <summary>The image step's warm-up of the push registry (a push follows): one ping, no credentials, never an error.</summary>
public sealed class RegistryWarmUpTests
{
    [Fact]
    public async Task The_warm_up_before_a_push_sends_one_unauthenticated_ping_even_with_credentials_set_and_a_dead_registry_is_no_error()
    {
        using var registry = new RegistryServer(RegistryServer.AuthMode.Htpasswd);
        using var proxy = new FaultProxy(registry.Host);
        var seen = new ConcurrentQueue<ProxiedRequest>();
        proxy.Rule = request =>
        {
            seen.Enqueue(request);
            return null;
        };
        using var harness = new EngineHarness().As("alice");

        await RegistryWarmUp.Start(harness.Settings, proxy.Host, "team/app", CancellationToken.None);

        var ping = Assert.Single(seen);
        Assert.Equal(("GET", "/v2/"), (ping.Method, ping.Path));
        Assert.False(ping.Headers.ContainsKey("Authorization"));
        Assert.Contains("GET /v2/ -> 401", proxy.Describe());   // it did reach the registry, which asked for credentials

        // Nothing listens on that port: the warm-up ends by itself, and quietly (the push reports such a registry).
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var deadPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var dead = RegistryWarmUp.Start(harness.Settings, $"127.0.0.1:{deadPort}", "team/app", CancellationToken.None);
        await dead.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(dead.IsCompletedSuccessfully);
    }
}
