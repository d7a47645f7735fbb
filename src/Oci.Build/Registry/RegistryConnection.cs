using System.Net;
using System.Net.Http.Headers;
using Oci.Build.Oci;
using Oci.Build.Registry.Auth;
using Oci.Build.Registry.Transport;

namespace Oci.Build.Registry;

/// <summary>
/// Sends requests to one endpoint: builds the URL from the endpoint's API root, adds authorization for the request's
/// scopes (re-authenticating once on a 401), follows redirects (the Authorization header only travels to the same
/// origin), and retries transient failures. Policy (what to request) lives in the callers; secrets live in the
/// authenticator.
/// </summary>
public sealed class RegistryConnection(RegistryEndpoint endpoint, RegistryTransport transport, RegistryAuthenticator authenticator)
{
    private const int MaxRedirects = 5;

    public RegistryEndpoint Endpoint => endpoint;

    public RegistryAuthenticator Authenticator => authenticator;

    public RegistryTransport Transport => transport;

    public Task<Uri> ApiRootAsync(CancellationToken cancellationToken) => transport.ApiRootAsync(endpoint, cancellationToken);

    /// <summary>
    /// Sends a request built by <paramref name="create"/> (called again for every attempt, with the API root).
    /// Returns the final response, whatever its status, except 401s that re-authentication cannot fix when
    /// <paramref name="options"/> says to throw on them.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<Uri, HttpRequestMessage> create, IReadOnlyList<RegistryScope> scopes, SendOptions options,
        CancellationToken cancellationToken)
    {
        var root = await ApiRootAsync(cancellationToken).ConfigureAwait(false);
        var policy = transport.Options.Retry;
        var authRounds = 0;
        for (var attempt = 1; ; attempt++)
        {
            var request = Prepare(create(root), root);
            var authorization = authenticator.Authorization(scopes);
            HttpResponseMessage response;
            try
            {
                response = await SendFollowingRedirectsAsync(request, root, authorization, options.Completion, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken) && options.Retry && attempt < policy.MaxAttempts)
            {
                await Task.Delay(policy.Delay(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                throw Unreachable(ex);
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && authRounds < 1)
            {
                authRounds++;
                var retry = await authenticator.OnUnauthorizedAsync(response, scopes, authorization, cancellationToken).ConfigureAwait(false);
                if (retry)
                {
                    response.Dispose();
                    attempt--; // an authentication round is not a failed attempt
                    continue;
                }
            }
            if (RetryPolicy.IsRetryable(response.StatusCode) && options.Retry && attempt < policy.MaxAttempts)
            {
                var delay = policy.Delay(attempt, response);
                response.Dispose();
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (options.ThrowOnAuthFailure && response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                using (response) throw AuthFailure(response, scopes, options.What);
            }
            return response;
        }
    }

    /// <summary>
    /// Adds what belongs to this endpoint (containerd's <c>ns</c> parameter, hosts.toml headers), but only to requests
    /// for the endpoint's own origin: an upload Location may point at blob storage elsewhere, and a configured header
    /// can be a secret (an API key), while an extra query parameter can break a pre-signed storage URL.
    /// </summary>
    private HttpRequestMessage Prepare(HttpRequestMessage request, Uri root)
    {
        if (request.RequestUri is not { } target || !SameOrigin(target, root)) return request;
        if (endpoint.Namespace is { } ns && request.RequestUri is { } uri)
        {
            var builder = new UriBuilder(uri);
            var query = builder.Query.TrimStart('?');
            builder.Query = (query.Length > 0 ? query + "&" : "") + "ns=" + Uri.EscapeDataString(ns);
            request.RequestUri = builder.Uri;
        }
        foreach (var (name, value) in endpoint.Headers) request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(HttpRequestMessage request, Uri origin, AuthenticationHeaderValue? authorization,
        HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            // Credentials go only to the origin they were issued for: never to blob storage or another host we are sent to.
            if (authorization is not null && SameOrigin(request.RequestUri!, origin)) request.Headers.Authorization = authorization;
            var client = SameOrigin(request.RequestUri!, origin) ? transport.ClientFor(endpoint) : transport.ClientForUrl(request.RequestUri!);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(transport.Options.RequestTimeout);
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, completion, timeout.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (ex.InnerException is System.Security.Authentication.AuthenticationException
                                                  && transport.TlsFailure(request.RequestUri!.IsDefaultPort ? request.RequestUri.Host : request.RequestUri.Authority) is { } reason)
            {
                throw RegistryTransport.TlsError(request.RequestUri.Authority, reason, ex);
            }
            if (!IsRedirect(response.StatusCode) || hop >= MaxRedirects || response.Headers.Location is null) return response;
            if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head) return response;
            var next = new Uri(request.RequestUri!, response.Headers.Location);
            if (next.Scheme != "https" && !(next.Scheme == "http" && (endpoint.AllowPlainHttp || RegistryEndpoint.IsLoopback(next.Authority))))
            {
                response.Dispose();
                throw new OciException(ErrorCodes.RegistryTlsFailed, $"{endpoint.Host} redirected a download to plain HTTP ({next.GetLeftPart(UriPartial.Authority)}); refusing it.");
            }
            response.Dispose();
            var method = request.Method;
            request.Dispose();
            request = new HttpRequestMessage(method, next);
        }
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    public static bool IsTransient(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException { InnerException: not System.Security.Authentication.AuthenticationException } or IOException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    public OciException Unreachable(Exception ex) =>
        new(ErrorCodes.RegistryUnreachable,
            $"{endpoint} could not be reached ({Describe(ex)}). Check the name and your network; a base image pinned by digest builds offline once it has been pulled.", ex);

    private static string Describe(Exception ex) => ex switch
    {
        OperationCanceledException => "timed out",
        HttpRequestException { InnerException: { } inner } => inner.Message,
        _ => ex.Message,
    };

    /// <summary>The error for a 401/403 that authentication could not fix: who we were, what we wanted, what to do.</summary>
    public OciException AuthFailure(HttpResponseMessage response, IReadOnlyList<RegistryScope> scopes, string what)
    {
        var wanted = string.Join(", ", scopes.Select(s => $"{s.Actions} on {s.Repository}"));
        var credential = authenticator.Credential;
        if (response.StatusCode == HttpStatusCode.Unauthorized && credential is null)
            return new OciException(ErrorCodes.RegistryAuthenticationFailed,
                $"{endpoint.Host} requires authentication to {what}, and no credentials were found for {endpoint.Host}. " +
                $"Log in (docker login / podman login {endpoint.Host}) or set DOTNET_CONTAINER_REGISTRY_UNAME and DOTNET_CONTAINER_REGISTRY_PWORD.");
        if (response.StatusCode == HttpStatusCode.Unauthorized && credential is not null && !authenticator.UsesTokens)
            // Basic: a 401 to a request carrying the credential means the user name or password is wrong, not that
            // the user lacks a permission (a token registry says that with a 401 to a valid token instead).
            return new OciException(ErrorCodes.RegistryAuthenticationFailed,
                $"{endpoint.Host} refused the {credential} when asked to {what}. Check the user name and password, or log in again.");
        return new OciException(ErrorCodes.RegistryAccessDenied,
            $"{endpoint.Host} denied access to {what} ({(int)response.StatusCode}): the {credential?.ToString() ?? "anonymous access"} may not {wanted}. " +
            "Use a credential with that permission.");
    }
}

/// <summary>How a request is sent.</summary>
public sealed record SendOptions(string What)
{
    public bool Retry { get; init; } = true;
    public bool ThrowOnAuthFailure { get; init; } = true;
    public HttpCompletionOption Completion { get; init; } = HttpCompletionOption.ResponseHeadersRead;
}
