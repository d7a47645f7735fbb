using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Serve;

public sealed record ServeSettings
{
    public required IReadOnlyList<ServedLocation> Locations { get; init; }
    public required IPEndPoint Listen { get; init; }
    public string? Prefix { get; init; }
    public string? TlsCertificate { get; init; }
    public string? TlsKey { get; init; }
    public string? AccessFile { get; init; }

    /// <summary>Request log lines as JSON objects (for collectors) instead of text.</summary>
    public bool JsonLog { get; init; }

    /// <summary>Where request log lines go; null: none.</summary>
    public TextWriter? RequestLog { get; init; }
}

/// <summary>
/// A running <c>dotnet oci serve</c>: the catalog of what it serves and Kestrel answering the distribution pull API.
/// Kestrel (ASP.NET Core's server, in the shared framework every SDK carries) rather than HttpListener or a hand-written
/// server: it is the maintained one, with TLS, keep-alive, request limits, sendfile and many concurrent clients.
/// An empty builder: no appsettings.json or environment configuration is picked up from wherever the tool runs.
/// </summary>
public sealed class ServeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServeHost(WebApplication app, ServedCatalog catalog, Uri address)
    {
        _app = app;
        Catalog = catalog;
        Address = address;
    }

    public ServedCatalog Catalog { get; }

    /// <summary>The base address actually bound (port 0 in --listen picks a free port).</summary>
    public Uri Address { get; }

    public static async Task<ServeHost> StartAsync(ServeSettings settings, IBuildLog log, CancellationToken cancellationToken)
    {
        var certificate = LoadCertificate(settings);
        var access = settings.AccessFile is null ? null : ServeAccess.Load(settings.AccessFile, log);
        if (!IPAddress.IsLoopback(settings.Listen.Address) && certificate is null)
            log.Warning(ErrorCodes.PlainHttpOnNetwork,
                $"Serving on {settings.Listen} without TLS: anyone on the network can read the images{(access is null ? "" : " and the credentials")} and change them in transit. Add --tls-cert/--tls-key.");
        var catalog = await ServedCatalog.OpenAsync(settings.Locations, settings.Prefix, cancellationToken).ConfigureAwait(false);
        try
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = 1 << 20; // read-only: bodies are never read; a refused push is drained only this far
                kestrel.Listen(settings.Listen, listen =>
                {
                    if (certificate is not null) listen.UseHttps(certificate);
                });
            });
            var app = builder.Build();
            var endpoint = new DistributionEndpoint(catalog, access);
            if (settings.RequestLog is { } writer)
            {
                var requestLog = new RequestLog(writer, settings.JsonLog);
                app.Use(async (context, next) =>
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        await next(context);
                    }
                    finally
                    {
                        requestLog.Write(context, Stopwatch.GetElapsedTime(started));
                    }
                });
            }
            app.Run(endpoint.HandleAsync);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            // A port in use comes as an IOException; an address on no interface of this machine as a SocketException.
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw new OciException(ErrorCodes.ListenFailed, $"Cannot listen on {settings.Listen}: {ex.Message}");
            }
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ServeHost(app, catalog, new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
        }
        catch
        {
            catalog.Dispose();
            throw;
        }
    }

    private static X509Certificate2? LoadCertificate(ServeSettings settings)
    {
        if (settings.TlsCertificate is null && settings.TlsKey is null) return null;
        if (settings.TlsCertificate is null || settings.TlsKey is null) throw new UsageException("Give both --tls-cert and --tls-key, or neither.");
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(settings.TlsCertificate, settings.TlsKey);
            // Re-imported as PKCS#12: an ephemeral PEM key works on Linux but not for SslStream on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new OciException(ErrorCodes.InvalidTlsCertificate, $"Cannot use the TLS certificate '{settings.TlsCertificate}' with the key '{settings.TlsKey}': {ex.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Catalog.Dispose();
    }
}

/// <summary>One line per request: time, client address, method, path, status, bytes, duration, who (never a secret).</summary>
internal sealed class RequestLog(TextWriter writer, bool json)
{
    private readonly Lock _lock = new();

    public void Write(HttpContext context, TimeSpan elapsed)
    {
        var request = context.Request;
        var response = context.Response;
        var bytes = HttpMethods.IsHead(request.Method) ? 0 : response.ContentLength ?? 0;
        var client = context.Items[DistributionEndpoint.ClientItem] as string ?? "-";
        var failure = context.Items[DistributionEndpoint.ClientItem + ".failure"] as string;
        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "-";
        var path = request.Path + request.QueryString;
        var line = json
            ? new JsonObject
            {
                ["time"] = time, ["remote"] = remote, ["method"] = request.Method, ["path"] = path, ["status"] = response.StatusCode,
                ["bytes"] = bytes, ["ms"] = Math.Round(elapsed.TotalMilliseconds, 1), ["client"] = client, ["error"] = failure,
            }.ToJsonString()
            : string.Create(CultureInfo.InvariantCulture, $"{time} {remote} {request.Method} {path} {response.StatusCode} {bytes} {elapsed.TotalMilliseconds:F1}ms {client}{(failure is null ? "" : " " + failure)}");
        lock (_lock)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}
