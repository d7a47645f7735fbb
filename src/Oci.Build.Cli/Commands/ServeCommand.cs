using System.CommandLine;
using System.Net;
using Oci.Build.Cli.Serve;
using Oci.Build.Oci;

namespace Oci.Build.Cli.Commands;

/// <summary>
/// A read-only OCI distribution endpoint over layouts and archives, for sites without a registry: skopeo, podman and
/// containerd pull from it directly. Glue only: <see cref="ServeHost"/> serves, <see cref="ServedCatalog"/> names.
/// </summary>
public sealed class ServeCommand : OciCommand
{
    public const string DefaultListen = "127.0.0.1:5000";

    private readonly Argument<string[]> _locations = new("LOCATION")
    {
        Description = "What to serve: oci:DIR, oci-archive:FILE, a layout folder or an archive file; NAME=LOCATION names the repository of tag-only images.",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string> _listen = new("--listen") { Description = "The address and port to listen on (loopback by default; port 0 picks a free one).", HelpName = "HOST:PORT", DefaultValueFactory = _ => DefaultListen };
    private readonly Option<string?> _prefix = new("--prefix") { Description = "Serve every repository under this path (relocated names: PREFIX/ORIGINAL).", HelpName = "PREFIX" };
    private readonly Option<string?> _tlsCert = new("--tls-cert") { Description = "PEM certificate (chain) for HTTPS.", HelpName = "FILE" };
    private readonly Option<string?> _tlsKey = new("--tls-key") { Description = "PEM private key of --tls-cert.", HelpName = "FILE" };
    private readonly Option<string?> _access = new("--access") { Description = "JSON file of Basic users and bearer tokens with per-repository pull grants; without it anyone who reaches the server may pull.", HelpName = "FILE" };
    private readonly Option<bool> _jsonLog = new("--json") { Description = "Request log lines as JSON objects, for log collectors." };

    public ServeCommand() : base("serve", "Serve layouts and archives as a read-only OCI registry (pull only) until interrupted.", printsResult: false)
    {
        Arguments.Add(_locations);
        Options.Add(_listen);
        Options.Add(_prefix);
        Options.Add(_tlsCert);
        Options.Add(_tlsKey);
        Options.Add(_access);
        Options.Add(_jsonLog);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var parse = context.Parse;
        var settings = new ServeSettings
        {
            Locations = parse.GetRequiredValue(_locations).Select(ServedLocation.Parse).ToList(),
            Listen = ParseListen(parse.GetRequiredValue(_listen)),
            Prefix = parse.GetValue(_prefix),
            TlsCertificate = parse.GetValue(_tlsCert),
            TlsKey = parse.GetValue(_tlsKey),
            AccessFile = parse.GetValue(_access),
            JsonLog = parse.GetValue(_jsonLog),
            RequestLog = context.Quiet ? null : context.Error,
        };
        await using var host = await ServeHost.StartAsync(settings, context.Log, cancellationToken);
        context.Output.WriteLine($"serving {host.Catalog.Repositories.Count} repositories on {host.Address} (read-only; Ctrl+C stops)");
        foreach (var repository in host.Catalog.Repositories.Values)
            context.Output.WriteLine($"  {repository.Name}: {(repository.Tags.Count == 0 ? "(by digest only)" : string.Join(", ", repository.Tags.Keys))}");
        context.Output.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C is how a server is meant to stop: a clean exit.
        }
        return ExitCodes.Success;
    }

    /// <summary><c>IP:PORT</c>, <c>[IPv6]:PORT</c> or <c>localhost:PORT</c> (loopback).</summary>
    public static IPEndPoint ParseListen(string text)
    {
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) && int.TryParse(text["localhost:".Length..], out var port) && port is >= 0 and <= 65535)
            return new IPEndPoint(IPAddress.Loopback, port);
        if (IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':') && (endpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || text.StartsWith('[')))
            return endpoint;
        throw new OciException(ErrorCodes.InvalidListenAddress, $"--listen '{text}' is not HOST:PORT with an IP address or localhost (IPv6 as [::1]:PORT).");
    }
}
