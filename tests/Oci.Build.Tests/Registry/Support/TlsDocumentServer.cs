using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>
/// An HTTPS server answering every request with one configurable response: enough to serve a well-known delegation
/// document. Records each request's head (request line and headers) so tests can check what the client sent.
/// </summary>
public sealed class TlsDocumentServer : IDisposable
{
    private readonly ScriptedHttpServer _server;

    public TlsDocumentServer(X509Certificate2 certificate)
    {
        _server = new ScriptedHttpServer(Answer, certificate);
    }

    public int Port => _server.Port;

    public int Status { get; set; } = 200;
    public string Body { get; set; } = "";
    public Dictionary<string, string> Headers { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    private ScriptedResponse Answer(ScriptedRequest request)
    {
        var head = new StringBuilder($"{request.Method} {request.Target} HTTP/1.1\r\n");
        foreach (var (name, value) in request.Headers) head.Append($"{name}: {value}\r\n");
        Requests.Enqueue(head.ToString());
        return new ScriptedResponse(Status, Encoding.UTF8.GetBytes(Body),
            new Dictionary<string, string>(Headers) { ["Content-Type"] = "application/json" });
    }

    public void Dispose() => _server.Dispose();
}
