using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>
/// A small distribution token server (the "realm"): checks Basic credentials (GET), or a refresh token posted as an
/// OAuth2 form, grants per-repository actions by a policy, and signs RS256 JWTs that docker-registry verifies through the x5c
/// certificate in its rootcertbundle.
/// Every request's scopes are recorded so tests can check what the client asked for.
/// </summary>
public sealed class TokenServer : IDisposable
{
    public const string Service = "oci-build-test";
    public const string Issuer = "oci-build-test-issuer";

    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly Dictionary<string, string> _users;
    private readonly Func<string?, string, IReadOnlyList<string>, IReadOnlyList<string>> _policy;
    private readonly Task _loop;

    /// <param name="policy">(user or null for anonymous, repository, requested actions) -> granted actions.</param>
    public TokenServer(string directory, Dictionary<string, string> users, Func<string?, string, IReadOnlyList<string>, IReadOnlyList<string>> policy)
    {
        _users = users;
        _policy = policy;
        var request = new CertificateRequest("CN=oci-build-test-token-signer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        CertificateBundle = Path.Combine(directory, "token-signer.pem");
        File.WriteAllText(CertificateBundle, _certificate.ExportCertificatePem());
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Realm => $"http://127.0.0.1:{Port}/token";

    public string CertificateBundle { get; }

    /// <summary>(user, scope parameters as received) of every token request.</summary>
    public ConcurrentQueue<(string? User, IReadOnlyList<string> Scopes)> Requests { get; } = new();

    /// <summary>Refresh (identity) tokens this server accepts in an OAuth2 POST, and the user each stands for.</summary>
    public ConcurrentDictionary<string, string> RefreshTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>The form fields of every OAuth2 POST (<c>grant_type</c>, <c>refresh_token</c>, <c>service</c>, <c>scope</c>, <c>client_id</c>).</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> FormRequests { get; } = new();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            try
            {
                Handle(context);
            }
            catch (Exception)
            {
                context.Response.StatusCode = 500;
                context.Response.Close();
            }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var response = context.Response;
        string? user = null;
        var authorization = context.Request.Headers["Authorization"];
        IReadOnlyList<string>? scopeValues = null;
        if (context.Request.HttpMethod == "POST")
        {
            // The OAuth2 form (distribution's token spec): only the refresh-token grant, with the fields it requires.
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var form = System.Web.HttpUtility.ParseQueryString(reader.ReadToEnd());
            var fields = form.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => form[k]!);
            FormRequests.Enqueue(fields);
            if (form["grant_type"] != "refresh_token" || string.IsNullOrEmpty(form["client_id"]) || form["service"] != Service)
            {
                response.StatusCode = 400;
                response.Close();
                return;
            }
            if (form["refresh_token"] is not { } refresh || !RefreshTokens.TryGetValue(refresh, out var owner))
            {
                response.StatusCode = 401;
                response.Close();
                return;
            }
            user = owner;
            scopeValues = form.GetValues("scope") ?? [];
        }
        else if (authorization is not null && authorization.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..]));
            var colon = decoded.IndexOf(':');
            var name = decoded[..colon];
            if (!_users.TryGetValue(name, out var password) || password != decoded[(colon + 1)..])
            {
                response.StatusCode = 401;
                response.Close();
                return;
            }
            user = name;
        }
        var scopes = (scopeValues ?? context.Request.QueryString.GetValues("scope") ?? []).SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Requests.Enqueue((user, scopes));
        var access = new List<object>();
        foreach (var scope in scopes)
        {
            var parts = scope.Split(':');
            if (parts.Length != 3 || parts[0] != "repository") continue;
            var granted = _policy(user, parts[1], parts[2].Split(','));
            if (granted.Count > 0) access.Add(new { type = "repository", name = parts[1], actions = granted });
        }
        var token = Sign(user ?? "", access);
        var body = JsonSerializer.SerializeToUtf8Bytes(new { token, access_token = token, expires_in = 300, issued_at = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") });
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.OutputStream.Write(body);
        response.Close();
    }

    private string Sign(string subject, List<object> access)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new { alg = "RS256", typ = "JWT", x5c = new[] { Convert.ToBase64String(_certificate.RawData) } };
        var claims = new { iss = Issuer, sub = subject, aud = Service, exp = now + 300, nbf = now - 10, iat = now, jti = Guid.NewGuid().ToString("N"), access };
        var signingInput = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        // Close alone: the managed HttpListener's Stop and then Close each unregister the prefix, and the second time the
        // lookup binds the port afresh, which throws "Address already in use" when another test's server took it meanwhile.
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _key.Dispose();
    }
}
