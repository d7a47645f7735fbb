using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Authentication;
using Oci.Build.Oci;

namespace Oci.Build.Registry.Transport;

/// <summary>
/// HTTP clients per host with that host's TLS policy, and the decision between HTTPS and plain HTTP. Knows nothing of
/// authentication or of the distribution API. Redirects are never followed here (callers decide whether an
/// Authorization header may travel), cookies are never kept.
/// </summary>
public sealed class RegistryTransport : IDisposable
{
    private readonly ConcurrentDictionary<string, (HttpClient Client, CertificatePolicy Policy)> _clients = new();
    private readonly ConcurrentDictionary<string, Task<string>> _schemes = new();
    private readonly ConcurrentDictionary<string, bool> _probeAnswered = new();
    private readonly RegistryTransportOptions _options;

    public RegistryTransport(RegistryTransportOptions? options = null) => _options = options ?? new RegistryTransportOptions();

    public RegistryTransportOptions Options => _options;

    public static readonly ProductInfoHeaderValue UserAgent = new("Oci.Build", "1.0");

    /// <summary>The client for an endpoint (its host's CA files and verification setting).</summary>
    public HttpClient ClientFor(RegistryEndpoint endpoint) => Entry(endpoint.Host, endpoint.SkipTlsVerify, endpoint.CaFiles).Client;

    /// <summary>
    /// The client for an arbitrary URL the registry pointed us to (token realm, blob storage redirect): verified TLS,
    /// with the extra CAs of <paramref name="trustFrom"/> only when it is the same host.
    /// </summary>
    public HttpClient ClientForUrl(Uri url, RegistryEndpoint? trustFrom = null)
    {
        var host = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
        var same = trustFrom is not null && string.Equals(trustFrom.Host, host, StringComparison.OrdinalIgnoreCase);
        return Entry(host, same && trustFrom!.SkipTlsVerify, same ? trustFrom!.CaFiles : _options.ExtraCaFilesFor(host)).Client;
    }

    /// <summary>The URL of the endpoint's API root, e.g. <c>https://host:5000/v2</c>; decides the scheme on first use.</summary>
    public async Task<Uri> ApiRootAsync(RegistryEndpoint endpoint, CancellationToken cancellationToken)
    {
        var scheme = endpoint.Scheme ?? await _schemes.GetOrAdd(endpoint.Host, _ => DecideSchemeAsync(endpoint, cancellationToken)).ConfigureAwait(false);
        return new Uri($"{scheme}://{endpoint.Host}{endpoint.ApiRoot.TrimEnd('/')}/");
    }

    /// <summary>
    /// Whether deciding the endpoint's scheme got an HTTP answer from its API root: that probe was then the
    /// unauthenticated <c>GET /v2/</c> every client sends first (<see cref="RegistryWarmUp"/> need not send another).
    /// </summary>
    public bool ProbeWasAnswered(RegistryEndpoint endpoint) => _probeAnswered.ContainsKey(endpoint.Host);

    /// <summary>
    /// HTTPS always, except where plain HTTP is allowed: there, HTTPS is tried first and HTTP is used only when the server
    /// does not speak TLS at all. A certificate that fails validation is an error, never a reason to drop to HTTP.
    /// On a loopback address, where no network lies between us and the server, plain HTTP is asked first (below).
    /// </summary>
    private async Task<string> DecideSchemeAsync(RegistryEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (!endpoint.AllowPlainHttp) return "https";
        var (client, policy) = Entry(endpoint.Host, endpoint.SkipTlsVerify, endpoint.CaFiles);
        if (RegistryEndpoint.IsLoopback(endpoint.Host) && await AnswersPlainHttpAsync(client, endpoint, cancellationToken).ConfigureAwait(false))
        {
            _probeAnswered[endpoint.Host] = true;
            return "http";
        }
        var failuresBefore = policy.LastFailure;
        using var probe = new HttpRequestMessage(HttpMethod.Get, $"https://{endpoint.Host}{endpoint.ApiRoot.TrimEnd('/')}/");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ProbeTimeout);
        try
        {
            using var response = await client.SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            _probeAnswered[endpoint.Host] = true;
            return "https";
        }
        catch (HttpRequestException ex) when (ex.InnerException is AuthenticationException || ex.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            if (policy.LastFailure is { } reason && !ReferenceEquals(reason, failuresBefore))
                throw TlsError(endpoint.Host, reason, ex);
            return "http";
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded or HttpRequestError.Unknown)
        {
            return "http";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A plain HTTP server may just wait for a request line that never comes: try HTTP.
            return "http";
        }
        catch (HttpRequestException)
        {
            // Connection refused and the like: HTTPS is as good a guess as any; the real request reports the failure.
            return "https";
        }
    }

    /// <summary>
    /// Whether the API root answers a plain HTTP request as a registry does (200, or 401 asking for credentials). Asked
    /// only of loopback addresses (CI's local registry, <c>localhost:5000</c>): the TLS probe costs a TLS set-up (the first
    /// in the process loads OpenSSL: 10-15 ms measured) and a round trip that a plain HTTP registry only refuses, while
    /// a plain request there crosses no network, so nobody can answer it in the server's place to make us drop TLS, and
    /// it carries no credential. A TLS server answers it 400 or hangs up: then HTTPS is probed as everywhere else.
    /// </summary>
    private async Task<bool> AnswersPlainHttpAsync(HttpClient client, RegistryEndpoint endpoint, CancellationToken cancellationToken)
    {
        using var probe = new HttpRequestMessage(HttpMethod.Get, $"http://{endpoint.Host}{endpoint.ApiRoot.TrimEnd('/')}/");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The whole probe timeout, not less: on a loaded machine a shorter one gave up on registries that were only slow,
        // and sent them a second request over TLS.
        timeout.CancelAfter(_options.ProbeTimeout);
        try
        {
            using var response = await client.SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            return response.StatusCode is System.Net.HttpStatusCode.OK or System.Net.HttpStatusCode.Unauthorized;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public static OciException TlsError(string host, string reason, Exception? inner = null) =>
        new(ErrorCodes.RegistryTlsFailed,
            $"TLS to {host} failed: {reason}. Trust its CA with a hosts.toml 'ca' entry (ContainerHostsDirectory), or, for a test registry only, " +
            $"list it in DOTNET_CONTAINER_INSECURE_REGISTRIES or mark its registries.conf entry insecure = true.", inner);

    /// <summary>Why TLS to <paramref name="host"/> was refused, when it was.</summary>
    public string? TlsFailure(string host) =>
        _clients.Where(c => c.Key.StartsWith(host + "|", StringComparison.OrdinalIgnoreCase)).Select(c => c.Value.Policy.LastFailure).FirstOrDefault(f => f is not null);

    private (HttpClient Client, CertificatePolicy Policy) Entry(string host, bool skipVerify, IReadOnlyList<string> caFiles)
    {
        var key = $"{host.ToLowerInvariant()}|{skipVerify}|{string.Join(";", caFiles)}";
        return _clients.GetOrAdd(key, _ =>
        {
            var policy = new CertificatePolicy(host, skipVerify, caFiles);
            var handler = new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                ConnectTimeout = _options.ConnectTimeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = 8,
            };
            handler.SslOptions.RemoteCertificateValidationCallback = policy.Validate;
            HttpMessageHandler outer = _options.WrapHandler is { } wrap ? wrap(handler) : handler;
            var client = new HttpClient(outer, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.UserAgent.Add(UserAgent);
            return (client, policy);
        });
    }

    public void Dispose()
    {
        foreach (var (client, _) in _clients.Values) client.Dispose();
        _clients.Clear();
    }
}

/// <summary>Knobs of the transport; the defaults suit real registries, tests shorten them.</summary>
public sealed record RegistryTransportOptions
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>How long one request may wait for response headers.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);
    /// <summary>
    /// How long a response body may send nothing before the read fails (a stalled body). A blob download then resumes
    /// with a Range request; documents, tokens and error bodies are fetched again. Any body read is therefore bounded by
    /// <c>Retry.MaxAttempts x (RequestTimeout + BodyIdleTimeout + Retry.MaxDelay)</c> without progress.
    /// </summary>
    public TimeSpan BodyIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;
    /// <summary>Lets tests put a fault-injecting handler between the client and the network.</summary>
    public Func<HttpMessageHandler, HttpMessageHandler>? WrapHandler { get; init; }
    /// <summary>Extra CAs for hosts reached by URL (token realms), by host.</summary>
    public Func<string, IReadOnlyList<string>> ExtraCaFilesFor { get; init; } = _ => [];
}
