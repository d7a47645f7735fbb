using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>One request as it reached the <see cref="FaultProxy"/>.</summary>
public sealed record ProxiedRequest(int Number, string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    public string Path => Target.Split('?')[0];
    public bool IsBlobGet => Method == "GET" && Path.Contains("/blobs/sha", StringComparison.Ordinal);
    public bool IsManifestGet => Method == "GET" && Path.Contains("/manifests/", StringComparison.Ordinal);
    public string? Range => Headers.TryGetValue("Range", out var range) ? range : null;
}

/// <summary>What the proxy does to one exchange instead of relaying it faithfully.</summary>
public abstract record Fault
{
    /// <summary>Answers with this status (and headers) without asking the registry.</summary>
    public sealed record Status(int Code, params (string Name, string Value)[] Headers) : Fault;
    /// <summary>Relays the headers and the first <paramref name="Bytes"/> of the body, then resets the connection (RST).</summary>
    public sealed record DropAfter(long Bytes) : Fault;
    /// <summary>Relays the headers and the first <paramref name="Bytes"/> of the body, then closes cleanly (FIN): a short body.</summary>
    public sealed record TruncateAfter(long Bytes) : Fault;
    /// <summary>Relays the headers and the first <paramref name="Bytes"/> of the body, then sends nothing until the client hangs up.</summary>
    public sealed record StallAfter(long Bytes) : Fault;
    /// <summary>Relays the answer with another Docker-Content-Digest header.</summary>
    public sealed record WrongDigestHeader(string Digest) : Fault;
    /// <summary>Reads the request and never answers, not even headers, until the client hangs up.</summary>
    public sealed record Hang : Fault;
    /// <summary>Answers 500 with a body that claims <paramref name="Size"/> bytes and sends zeros until the client hangs up.</summary>
    public sealed record HugeErrorBody(long Size) : Fault;
}

/// <summary>
/// An HTTP/1.1 proxy on 127.0.0.1 between the engine and a real docker-registry (one request per connection), that
/// breaks chosen exchanges the way networks and registries do: resets mid-body, 5xx, 429 with Retry-After, stalled
/// and truncated bodies, a lying Docker-Content-Digest, a huge error body. The registry sees the proxy's address as
/// its host, so the upload locations it returns lead back through the proxy.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly LoopbackTcpServer _server;
    private readonly HttpClient _upstream;
    private readonly string _upstreamHost;
    private int _requests;
    private long _errorBodyBytes;

    public FaultProxy(string upstreamHost)
    {
        _upstreamHost = upstreamHost;
        _upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
        _server = new LoopbackTcpServer(HandleAsync);
    }

    public int Port => _server.Port;

    /// <summary><c>127.0.0.1:PORT</c>, the address the engine is given instead of the registry's.</summary>
    public string Host => $"127.0.0.1:{Port}";

    /// <summary>Decides, per request, whether and how to break it (null: relay faithfully). Called concurrently.</summary>
    public Func<ProxiedRequest, Fault?> Rule { get; set; } = _ => null;

    /// <summary>Every exchange: "METHOD path [range] -> status (fault)".</summary>
    public ConcurrentQueue<string> Exchanges { get; } = new();

    /// <summary>How many bytes of huge error bodies were written before the client hung up.</summary>
    public long ErrorBodyBytesSent => Interlocked.Read(ref _errorBodyBytes);

    public string Describe() => string.Join("\n", Exchanges);

    private async Task HandleAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var head = await ReadHeadAsync(stream);
            if (head is null) return; // not HTTP (the engine's TLS probe of a loopback host): hang up as a plain server does
            var lines = head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            var requestLine = lines[0].Split(' ');
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':');
                if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            var body = await ReadBodyAsync(stream, headers);
            var request = new ProxiedRequest(Interlocked.Increment(ref _requests), requestLine[0], requestLine[1], headers);
            var fault = Rule(request);
            var label = $"{request.Method} {request.Path}{(request.Range is { } r ? " " + r : "")}";

            switch (fault)
            {
                case Fault.Status status:
                    Exchanges.Enqueue($"{label} -> {status.Code} (injected)");
                    await WriteHeadAsync(stream, status.Code, status.Headers.Append(("Content-Length", "0")));
                    return;
                case Fault.Hang:
                    Exchanges.Enqueue($"{label} -> no answer (injected)");
                    try { while (await stream.ReadAsync(new byte[1], _server.Stopping) > 0) { } } catch (Exception) { }
                    Exchanges.Enqueue($"{label}: the client hung up");
                    return;
                case Fault.HugeErrorBody huge:
                    Exchanges.Enqueue($"{label} -> 500 with a {huge.Size}-byte body (injected)");
                    await WriteHeadAsync(stream, 500, [("Content-Type", "application/json"), ("Content-Length", huge.Size.ToString())]);
                    var zeros = new byte[64 * 1024];
                    for (long sent = 0; sent < huge.Size && !_server.Stopping.IsCancellationRequested; sent += zeros.Length)
                    {
                        await stream.WriteAsync(zeros, _server.Stopping);
                        Interlocked.Add(ref _errorBodyBytes, zeros.Length);
                    }
                    return;
            }

            using var forward = new HttpRequestMessage(new HttpMethod(request.Method), $"http://{_upstreamHost}{request.Target}");
            if (body.Length > 0 || request.Method is "PUT" or "POST" or "PATCH") forward.Content = new ByteArrayContent(body);
            foreach (var (name, value) in headers)
            {
                if (name is "Host" or "Connection" or "Content-Length" or "Transfer-Encoding" or "Expect") continue;
                if (!forward.Headers.TryAddWithoutValidation(name, value)) forward.Content?.Headers.TryAddWithoutValidation(name, value);
            }
            forward.Headers.Host = Host;
            using var answer = await _upstream.SendAsync(forward, _server.Stopping);
            var content = await answer.Content.ReadAsByteArrayAsync(_server.Stopping);
            var outHeaders = answer.Headers.Concat(answer.Content.Headers)
                .Where(h => h.Key is not ("Connection" or "Transfer-Encoding" or "Content-Length" or "Keep-Alive"))
                .SelectMany(h => h.Value.Select(v => (h.Key, v)))
                .ToList();
            if (fault is Fault.WrongDigestHeader wrong)
            {
                outHeaders.RemoveAll(h => h.Key.Equals("Docker-Content-Digest", StringComparison.OrdinalIgnoreCase));
                outHeaders.Add(("Docker-Content-Digest", wrong.Digest));
            }
            var length = request.Method == "HEAD" ? answer.Content.Headers.ContentLength ?? 0 : content.Length;
            outHeaders.Add(("Content-Length", length.ToString()));
            Exchanges.Enqueue($"{label} -> {(int)answer.StatusCode}{(fault is null ? "" : $" ({fault.GetType().Name})")}");
            await WriteHeadAsync(stream, (int)answer.StatusCode, outHeaders);
            if (request.Method == "HEAD") return;

            switch (fault)
            {
                case Fault.DropAfter drop:
                    await stream.WriteAsync(content.AsMemory(0, (int)Math.Min(drop.Bytes, content.Length)));
                    await stream.FlushAsync();
                    client.Client.LingerState = new LingerOption(true, 0); // close with RST: "connection reset by peer"
                    return;
                case Fault.TruncateAfter truncate:
                    await stream.WriteAsync(content.AsMemory(0, (int)Math.Min(truncate.Bytes, content.Length)));
                    client.Client.Shutdown(SocketShutdown.Send);
                    return;
                case Fault.StallAfter stall:
                    await stream.WriteAsync(content.AsMemory(0, (int)Math.Min(stall.Bytes, content.Length)));
                    await stream.FlushAsync();
                    // Send nothing more; wait until the client gives up (or the test ends).
                    try { while (await stream.ReadAsync(new byte[1], _server.Stopping) > 0) { } } catch (Exception) { }
                    return;
                default:
                    await stream.WriteAsync(content);
                    return;
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or OperationCanceledException or HttpRequestException)
        {
            // The client hung up mid-answer, or the test ended: nothing more to do.
        }
        finally
        {
            client.Dispose();
        }
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) != 1) return null;
            if (head.Length == 0 && !char.IsAsciiLetterUpper((char)one[0])) return null;
            head.Append((char)one[0]);
        }
        return head.ToString();
    }

    private static async Task<byte[]> ReadBodyAsync(NetworkStream stream, Dictionary<string, string> headers)
    {
        if (headers.TryGetValue("Content-Length", out var length))
        {
            var body = new byte[long.Parse(length)];
            await stream.ReadExactlyAsync(body);
            return body;
        }
        if (!headers.TryGetValue("Transfer-Encoding", out var encoding) || !encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase)) return [];
        using var buffer = new MemoryStream();
        while (true)
        {
            var sizeLine = await ReadLineAsync(stream);
            var size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                while ((await ReadLineAsync(stream)).Length > 0) { } // trailers
                return buffer.ToArray();
            }
            var chunk = new byte[size];
            await stream.ReadExactlyAsync(chunk);
            buffer.Write(chunk);
            await ReadLineAsync(stream);
        }
    }

    private static async Task<string> ReadLineAsync(NetworkStream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) != 1) throw new IOException("the client hung up");
            line.Append((char)one[0]);
        }
        return line.ToString()[..^2];
    }

    private static async Task WriteHeadAsync(NetworkStream stream, int status, IEnumerable<(string Name, string Value)> headers)
    {
        var text = new StringBuilder($"HTTP/1.1 {status} {ReasonPhrase(status)}\r\nConnection: close\r\n");
        foreach (var (name, value) in headers) text.Append($"{name}: {value}\r\n");
        text.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text.ToString()));
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK", 201 => "Created", 202 => "Accepted", 204 => "No Content", 206 => "Partial Content", 307 => "Temporary Redirect",
        400 => "Bad Request", 401 => "Unauthorized", 404 => "Not Found", 416 => "Range Not Satisfiable", 429 => "Too Many Requests",
        500 => "Internal Server Error", 502 => "Bad Gateway", 503 => "Service Unavailable", _ => "Status",
    };

    public void Dispose()
    {
        _server.Dispose();
        _upstream.Dispose();
    }
}
