using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>One request as a <see cref="ScriptedHttpServer"/> received it: exactly the headers on the wire.</summary>
public sealed record ScriptedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Path => Target.Split('?')[0];

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>What a <see cref="ScriptedHttpServer"/> answers.</summary>
public sealed record ScriptedResponse(int Status, byte[] Body, IReadOnlyDictionary<string, string> Headers)
{
    public static ScriptedResponse Of(int status, params (string Name, string Value)[] headers) =>
        new(status, [], headers.ToDictionary(h => h.Name, h => h.Value));

    public static ScriptedResponse Bytes(byte[] body, string contentType, params (string Name, string Value)[] headers) =>
        new(200, body, headers.Append((Name: "Content-Type", Value: contentType)).ToDictionary(h => h.Name, h => h.Value));
}

/// <summary>
/// An HTTP/1.1 server on 127.0.0.1 (TcpListener, one request per connection) whose answers come from a delegate,
/// and which records every request's method, target and headers as they arrived. For the registry behaviours a real
/// docker-registry will not show on demand, such as redirecting a blob download to storage on another host.
/// Plain by default: a TLS ClientHello (the engine's HTTPS probe of a loopback host) is answered by hanging up, as a
/// plain server would. With a certificate it speaks HTTPS (SslStream).
/// </summary>
public sealed class ScriptedHttpServer : IDisposable
{
    private readonly LoopbackTcpServer _server;
    private readonly Func<ScriptedRequest, ScriptedResponse> _handler;
    private readonly X509Certificate2? _certificate;

    public ScriptedHttpServer(Func<ScriptedRequest, ScriptedResponse> handler, X509Certificate2? certificate = null)
    {
        _handler = handler;
        _certificate = certificate;
        _server = new LoopbackTcpServer(HandleAsync);
    }

    public int Port => _server.Port;

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public ConcurrentQueue<ScriptedRequest> Requests { get; } = new();

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(_certificate);
                    stream = ssl;
                }
                await using var _ = stream;
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    if (await stream.ReadAsync(one) != 1) return;
                    if (head.Length == 0 && !char.IsAsciiLetterUpper((char)one[0])) return; // not HTTP (a TLS probe to a plain server): hang up
                    head.Append((char)one[0]);
                }
                var lines = head.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
                var requestLine = lines[0].Split(' ');
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var line in lines.Skip(1))
                {
                    var colon = line.IndexOf(':');
                    if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                }
                var body = new byte[headers.TryGetValue("Content-Length", out var length) ? int.Parse(length) : 0];
                await stream.ReadExactlyAsync(body);
                var request = new ScriptedRequest(requestLine[0], requestLine[1], headers, body);
                Requests.Enqueue(request);

                ScriptedResponse response;
                try
                {
                    response = _handler(request);
                }
                catch (Exception ex)
                {
                    response = new ScriptedResponse(500, Encoding.UTF8.GetBytes(ex.Message), new Dictionary<string, string>());
                }
                var text = new StringBuilder($"HTTP/1.1 {response.Status} Scripted\r\nConnection: close\r\n");
                if (request.Method != "HEAD" || !response.Headers.ContainsKey("Content-Length"))
                    text.Append($"Content-Length: {response.Body.Length}\r\n");
                foreach (var (name, value) in response.Headers) text.Append($"{name}: {value}\r\n");
                text.Append("\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(text.ToString()));
                if (request.Method != "HEAD") await stream.WriteAsync(response.Body);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or System.Security.Authentication.AuthenticationException)
            {
                // The client hung up, or refused the certificate mid-handshake: nothing to answer.
            }
        }
    }

    public void Dispose()
    {
        _server.Dispose();
    }
}
