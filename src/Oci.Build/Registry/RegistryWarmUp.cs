using Oci.Build.Oci;

namespace Oci.Build.Registry;

/// <summary>
/// A process's first registry request costs far more than its round trip: the HTTP stack is loaded and compiled, TLS is
/// set up, and a registry that may speak plain HTTP (loopback, insecure) is probed for HTTPS first. The image step starts
/// this when a push follows, so that cost is paid on another thread while the image is built and the push (a later task
/// in the same build process) starts warm. Measured with HelloOci, a warm one-line change to a loopback registry, 6 runs
/// each: the push took 184-196 ms before and 111-144 ms after, the image step it shares the cores with 87-93 and 119-155
/// ms; both together 279 ms and 236 ms (medians). It sends the push registry the unauthenticated <c>GET /v2/</c> every
/// client sends first, with no credentials, and keeps nothing. It never fails or waits for the build: whatever goes
/// wrong, the push meets again and reports, and it ends on its own (within the probe timeout). Where deciding between
/// HTTPS and plain HTTP already asked the API root (a loopback registry, an HTTPS one that may speak plain HTTP), that
/// request was the ping.
/// </summary>
public static class RegistryWarmUp
{
    public static Task Start(RegistrySettings settings, string registry, string repository, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        try
        {
            if (!ImageReference.TryParse($"{registry.Trim().TrimEnd('/')}/{repository}", out var target, out _)) return;
            var endpoint = settings.CreateResolver(NullBuildLog.Instance).ResolvePush(target!).Primary.Endpoint;
            using var context = settings.CreateContext(pushHost: null, pullHost: null);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(context.Transport.Options.ProbeTimeout);
            var root = await context.Transport.ApiRootAsync(endpoint, timeout.Token).ConfigureAwait(false);
            if (context.Transport.ProbeWasAnswered(endpoint)) return;   // deciding the scheme already asked the API root
            using var response = await context.Transport.ClientFor(endpoint).GetAsync(root, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OciException or HttpRequestException or IOException or OperationCanceledException or InvalidOperationException or FormatException)
        {
            // A rehearsal only: the push finds the same problem and reports it.
        }
    }, CancellationToken.None);
}
