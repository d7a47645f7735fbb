using System.Net;
using System.Text.Json;
using Oci.Build.Oci;
using Oci.Build.Registry.Transport;

namespace Oci.Build.Registry.Delegation;

public sealed record DelegationOptions
{
    /// <summary><c>ContainerNameDelegation</c>: false turns network discovery off (a cached answer is still never used then).</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>Where answers are kept (<c>&lt;Oci.Build cache&gt;/delegation</c>); null keeps nothing.</summary>
    public string? CacheDirectory { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How long an answer without <c>Cache-Control: max-age</c> is fresh.</summary>
    public TimeSpan DefaultMaxAge { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Extra CA files trusted for a domain (its hosts.toml <c>ca</c>), besides the system's.</summary>
    public Func<string, IReadOnlyList<string>> CaFilesFor { get; init; } = _ => [];
    public Func<HttpMessageHandler, HttpMessageHandler>? WrapHandler { get; init; }
}

/// <summary>
/// Finds where a vanity name's images live by asking its domain, over verified HTTPS only:
/// <c>https://DOMAIN/.well-known/oci-delegation.json</c> (see <see cref="DelegationDocument"/>). No redirect to another
/// host, a small size limit, a short timeout, no credentials and no cookies sent. Answers (including "none") are cached
/// on disk for their <c>max-age</c>; when the domain cannot be reached, the last cached answer is used (offline builds).
/// </summary>
public sealed class DelegationResolver(DelegationOptions options, IBuildLog log)
{
    public const string WellKnownPath = "/.well-known/oci-delegation.json";
    private const int MaxRedirects = 3;
    private readonly Dictionary<string, DelegationDocument?> _memory = new(StringComparer.OrdinalIgnoreCase);

    public DelegationOptions Options => options;

    /// <summary>The domain's delegation document, or null when it has none (or discovery is off, or it cannot be known).</summary>
    public DelegationDocument? Find(string domain)
    {
        if (!options.Enabled) return null;
        lock (_memory)
        {
            if (_memory.TryGetValue(domain, out var known)) return known;
        }
        var document = Lookup(domain);
        lock (_memory) _memory[domain] = document;
        return document;
    }

    private DelegationDocument? Lookup(string domain)
    {
        var cached = ReadCache(domain);
        if (cached is not null && cached.Fresh)
        {
            log.Detail($"Name delegation for {domain}: cached answer ({(cached.Found ? "delegated" : "none")}).");
            return cached.Found ? DelegationDocument.Parse(cached.Body, domain) : null;
        }
        FetchResult result;
        try
        {
            result = FetchAsync(domain).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or UnreachableDomain)
        {
            if (cached is not null)
            {
                log.Info($"Name delegation: {domain} cannot be reached ({Describe(ex)}); using the answer cached {cached.Fetched:u}.");
                return cached.Found ? DelegationDocument.Parse(cached.Body, domain) : null;
            }
            log.Detail($"Name delegation: {domain} cannot be reached ({Describe(ex)}); using the name as it is.");
            return null;
        }
        // Parse before caching: a malformed document is an error for its domain's owner, never cached as valid.
        var document = result.Found ? DelegationDocument.Parse(result.Body, domain) : null;
        if (result.MaxAge is { } maxAge) WriteCache(domain, new CacheEntry(result.Found, result.Body, DateTimeOffset.UtcNow, maxAge));
        if (document is not null)
            log.Info($"Name delegation: {domain} delegates {string.Join(", ", document.Entries.Select(e => $"{e.Prefix} -> {e.Location}{(e.Push ? "" : " (pull only)")}"))}.");
        return document;
    }

    private static string Describe(Exception ex) => ex switch
    {
        OperationCanceledException => "timed out",
        HttpRequestException { InnerException: { } inner } => inner.Message,
        _ => ex.Message,
    };

    private async Task<FetchResult> FetchAsync(string domain)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.Timeout,
            Credentials = null,
            UseProxy = true,
        };
        var policy = new CertificatePolicy(domain, skipVerify: false, options.CaFilesFor(domain));
        handler.SslOptions.RemoteCertificateValidationCallback = policy.Validate;
        using var client = new HttpClient(options.WrapHandler is { } wrap ? wrap(handler) : handler, disposeHandler: true) { Timeout = options.Timeout };
        client.DefaultRequestHeaders.UserAgent.Add(RegistryTransport.UserAgent);

        var url = new Uri($"https://{domain}{WellKnownPath}");
        for (var hop = 0; ; hop++)
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                var next = new Uri(url, location);
                if (next.Scheme != "https" || !string.Equals(next.Authority, url.Authority, StringComparison.OrdinalIgnoreCase) || hop >= MaxRedirects)
                    throw new UnreachableDomain($"it redirects to {next.GetLeftPart(UriPartial.Authority)}, and a delegation document is only read from the domain itself over HTTPS");
                url = next;
                continue;
            }
            var maxAge = MaxAge(response);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                return new FetchResult(false, [], maxAge);
            if (!response.IsSuccessStatusCode)
                throw new UnreachableDomain($"{(int)response.StatusCode} {response.ReasonPhrase}");
            if (response.Content.Headers.ContentLength > DelegationDocument.MaxSize)
                throw new OciException(ErrorCodes.RegistryConfigInvalid, $"The delegation document of {domain} is larger than {DelegationDocument.MaxSize} bytes.");
            var body = await ReadLimitedAsync(response, domain).ConfigureAwait(false);
            return new FetchResult(true, body, maxAge);
        }
    }

    /// <summary>The answer's freshness: <c>max-age</c>, zero for <c>no-cache</c>, null (do not store) for <c>no-store</c>.</summary>
    private TimeSpan? MaxAge(HttpResponseMessage response)
    {
        var cacheControl = response.Headers.CacheControl;
        if (cacheControl?.NoStore == true) return null;
        if (cacheControl?.NoCache == true) return TimeSpan.Zero;
        return cacheControl?.MaxAge ?? options.DefaultMaxAge;
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, string domain)
    {
        await using var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        var buffer = new byte[DelegationDocument.MaxSize + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total)).ConfigureAwait(false)) > 0) total += read;
        if (total > DelegationDocument.MaxSize)
            throw new OciException(ErrorCodes.RegistryConfigInvalid, $"The delegation document of {domain} is larger than {DelegationDocument.MaxSize} bytes.");
        return buffer[..total];
    }

    private string? CachePath(string domain) =>
        options.CacheDirectory is null ? null : Path.Combine(options.CacheDirectory, string.Concat(domain.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_')) + ".json");

    private CacheEntry? ReadCache(string domain)
    {
        var path = CachePath(domain);
        if (path is null || !File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), DelegationJsonContext.Default.CacheEntry);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }

    private void WriteCache(string domain, CacheEntry entry)
    {
        var path = CachePath(domain);
        if (path is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(entry, DelegationJsonContext.Default.CacheEntry));
        File.Move(temp, path, overwrite: true);
    }

    private sealed record FetchResult(bool Found, byte[] Body, TimeSpan? MaxAge);

    internal sealed record CacheEntry(bool Found, byte[] Body, DateTimeOffset Fetched, TimeSpan MaxAge)
    {
        public bool Fresh => DateTimeOffset.UtcNow < Fetched + MaxAge;
    }

    private sealed class UnreachableDomain(string message) : Exception(message);
}
