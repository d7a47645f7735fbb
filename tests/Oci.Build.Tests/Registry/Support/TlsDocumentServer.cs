using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>
/// A tiny HTTPS server (SslStream over TcpListener) answering every request with one configurable response: enough to
/// serve a well-known delegation document. Records each request's head so tests can check what the client sent.
/// </summary>
public sealed class TlsDocumentServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TlsDocumentServer(X509Certificate2 certificate)
    {
        _certificate = certificate;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public int Status { get; set; } = 200;
    public string Body { get; set; } = "";
    public Dictionary<string, string> Headers { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var ssl = new SslStream(client.GetStream());
                await ssl.AuthenticateAsServerAsync(_certificate);
                var head = new StringBuilder();
                var buffer = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await ssl.ReadAsync(buffer) == 1)
                    head.Append((char)buffer[0]);
                if (head.Length == 0) return;
                Requests.Enqueue(head.ToString());
                var body = Encoding.UTF8.GetBytes(Body);
                var response = new StringBuilder($"HTTP/1.1 {Status} X\r\nContent-Length: {body.Length}\r\nContent-Type: application/json\r\nConnection: close\r\n");
                foreach (var (name, value) in Headers) response.Append($"{name}: {value}\r\n");
                response.Append("\r\n");
                await ssl.WriteAsync(Encoding.ASCII.GetBytes(response.ToString()));
                await ssl.WriteAsync(body);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // A client that refuses the certificate hangs up mid-handshake: nothing to answer.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
    }
}
