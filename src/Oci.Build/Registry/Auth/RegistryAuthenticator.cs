using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Oci.Build.Oci;
using Oci.Build.Registry.Transport;

namespace Oci.Build.Registry.Auth;

/// <summary>
/// Authorization for one registry host: learns the challenge from a 401, then answers it with Basic credentials or a
/// bearer token fetched for exactly the scopes asked (cached per scope list until it expires). The credential is looked
/// up for this host only and only when a challenge asks for one. Nothing here logs a secret or puts one in a message.
/// </summary>
public sealed class RegistryAuthenticator(RegistryEndpoint endpoint, ICredentialSource credentials, RegistryTransport transport)
{
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AuthChallenge? _challenge;
    private RegistryCredential? _credential;
    private bool _credentialLooked;

    public string Host => endpoint.Host;

    /// <summary>The credential found for this host, if one was needed and found (for messages: its origin, never its secret).</summary>
    public RegistryCredential? Credential => _credential;

    /// <summary>The header to send with a request for <paramref name="scopes"/>, or null when none is known to be needed yet.</summary>
    public AuthenticationHeaderValue? Authorization(IReadOnlyList<RegistryScope> scopes)
    {
        var challenge = _challenge;
        if (challenge is null) return null;
        if (challenge.IsBasic)
            return FindCredential() is { HasBasic: true } basic ? new AuthenticationHeaderValue("Basic", basic.BasicHeaderValue()) : null;
        return _tokens.TryGetValue(RegistryScope.Key(scopes), out var token) && !token.Expired
            ? new AuthenticationHeaderValue("Bearer", token.Value)
            : null;
    }

    /// <summary>What the current token for <paramref name="scopes"/> grants, when the token is a readable JWT.</summary>
    public TokenGrants? Grants(IReadOnlyList<RegistryScope> scopes) =>
        _tokens.TryGetValue(RegistryScope.Key(scopes), out var token) ? token.Grants : null;

    /// <summary>True when the registry answered with a Bearer challenge (scopes and grants mean something).</summary>
    public bool UsesTokens => _challenge?.IsBearer == true;

    /// <summary>
    /// Handles a 401: learns its challenge and gets fresh authorization. Returns false when there is nothing new to try
    /// (the same authorization already failed), so the caller reports the 401 instead of looping.
    /// </summary>
    public async Task<bool> OnUnauthorizedAsync(HttpResponseMessage response, IReadOnlyList<RegistryScope> scopes, AuthenticationHeaderValue? sent,
        CancellationToken cancellationToken)
    {
        var challenges = AuthChallenge.ParseAll(string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString())));
        var challenge = challenges.FirstOrDefault(c => c.IsBearer) ?? challenges.FirstOrDefault(c => c.IsBasic);
        if (challenge is null)
            throw new OciException(ErrorCodes.RegistryProtocolError, $"{Host} answered 401 without a Bearer or Basic challenge; it cannot be authenticated to.");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _challenge = challenge;
            if (challenge.IsBasic)
                return sent is null && FindCredential() is { HasBasic: true };

            var key = RegistryScope.Key(scopes);
            if (_tokens.TryGetValue(key, out var cached) && !cached.Expired && (sent is null || sent.Parameter != cached.Value))
                return true; // another request already refreshed it
            var token = await FetchTokenAsync(challenge, scopes, cancellationToken).ConfigureAwait(false);
            if (sent is not null && sent.Parameter == token.Value) return false;
            _tokens[key] = token;
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private RegistryCredential? FindCredential()
    {
        if (!_credentialLooked)
        {
            _credential = credentials.Find(endpoint.Host);
            _credentialLooked = true;
        }
        return _credential;
    }

    private async Task<CachedToken> FetchTokenAsync(AuthChallenge challenge, IReadOnlyList<RegistryScope> scopes, CancellationToken cancellationToken)
    {
        var credential = FindCredential();
        if (credential?.RegistryToken is { } direct)
            return new CachedToken(direct, DateTimeOffset.UtcNow.AddMinutes(30), TokenGrants.TryRead(direct));
        if (challenge.Realm is not { Length: > 0 } realmText || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm) || realm.Scheme is not ("https" or "http"))
            throw new OciException(ErrorCodes.RegistryProtocolError, $"{Host} asked for a bearer token but named no usable token endpoint (realm).");
        if (realm.Scheme == "http" && credential is not null && !RegistryEndpoint.IsLoopback(realm.Authority) && !endpoint.AllowPlainHttp)
            throw new OciException(ErrorCodes.RegistryTlsFailed,
                $"{Host} names a token endpoint over plain HTTP ({realm.GetLeftPart(UriPartial.Path)}); credentials are not sent without TLS.");

        var policy = transport.Options.Retry;
        for (var attempt = 1; ; attempt++)
        {
            using var request = BuildTokenRequest(realm, challenge.Service, scopes, credential);
            HttpResponseMessage response;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(transport.Options.RequestTimeout);
                response = await transport.ClientForUrl(realm, endpoint).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when ((ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)) && attempt < policy.MaxAttempts)
            {
                await Task.Delay(policy.Delay(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new OciException(ErrorCodes.RegistryUnreachable, $"The token service of {Host} ({realm.GetLeftPart(UriPartial.Path)}) could not be reached: {ex.Message}", ex);
            }
            using (response)
            {
                if (RetryPolicy.IsRetryable(response.StatusCode) && attempt < policy.MaxAttempts)
                {
                    await Task.Delay(policy.Delay(attempt, response), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    throw new OciException(ErrorCodes.RegistryAuthenticationFailed, credential is null
                        ? $"{Host} requires authentication and no credentials were found for it. Log in (docker login / podman login {Host}) or set DOTNET_CONTAINER_REGISTRY_UNAME and DOTNET_CONTAINER_REGISTRY_PWORD."
                        : $"The token service of {Host} refused the {credential}. Check the user name and password or token.");
                if (!response.IsSuccessStatusCode)
                    throw new OciException(ErrorCodes.RegistryProtocolError, $"The token service of {Host} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
                return await ReadTokenAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static HttpRequestMessage BuildTokenRequest(Uri realm, string? service, IReadOnlyList<RegistryScope> scopes, RegistryCredential? credential)
    {
        if (credential?.IdentityToken is { } refreshToken)
        {
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"),
                new("refresh_token", refreshToken),
                new("client_id", "oci-build"),
            };
            if (service is not null) form.Add(new("service", service));
            if (scopes.Count > 0) form.Add(new("scope", string.Join(" ", scopes)));
            return new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
        }
        var query = new List<string>();
        if (service is not null) query.Add("service=" + Uri.EscapeDataString(service));
        query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s.ToString())));
        var builder = new UriBuilder(realm);
        var existing = builder.Query.TrimStart('?');
        builder.Query = string.Join("&", new[] { existing }.Where(e => e.Length > 0).Concat(query));
        var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credential is { HasBasic: true })
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue());
        return request;
    }

    private async Task<CachedToken> ReadTokenAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[]? body;
        try
        {
            body = await BodyReader.ReadAsync(response, BodyReader.MaxTokenBody, transport.Options.BodyIdleTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RegistryConnection.IsTransient(ex, cancellationToken))
        {
            throw RegistryClient.BodyFailed(ex, $"The token answer of {Host}", 1);
        }
        _ = body ?? throw new OciException(ErrorCodes.RegistryAnswerTooLarge,
                $"The token service of {Host} answered with more than {BodyReader.MaxTokenBody} bytes; a token is a few KiB. Refusing it.");
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var token = (root.TryGetProperty("token", out var t) ? t.GetString() : null) ?? (root.TryGetProperty("access_token", out var a) ? a.GetString() : null);
            if (string.IsNullOrEmpty(token))
                throw new OciException(ErrorCodes.RegistryProtocolError, $"The token service of {Host} answered without a token.");
            var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0 ? seconds : 60;
            // Renew a little early so a long push never sends a token that expires in flight.
            var expires = DateTimeOffset.UtcNow.AddSeconds(Math.Max(5, lifetime - Math.Min(30, lifetime / 5)));
            return new CachedToken(token, expires, TokenGrants.TryRead(token));
        }
        catch (JsonException)
        {
            throw new OciException(ErrorCodes.RegistryProtocolError, $"The token service of {Host} did not answer with JSON.");
        }
    }

    private sealed record CachedToken(string Value, DateTimeOffset Expires, TokenGrants? Grants)
    {
        public bool Expired => DateTimeOffset.UtcNow >= Expires;
    }
}
