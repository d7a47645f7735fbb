using System.Net;
using System.Net.Sockets;

namespace Oci.Build.Tests.Registry.Support;

/// <summary>
/// A TCP listener on 127.0.0.1 with a free port that hands every connection to <c>handle</c> on its own task, until
/// disposed: the accept loop the hand-written HTTP servers of the tests (<see cref="FaultProxy"/>,
/// <see cref="ScriptedHttpServer"/>) share.
/// </summary>
public sealed class LoopbackTcpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LoopbackTcpServer(Func<TcpClient, Task> handle)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(async () =>
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
                _ = Task.Run(() => handle(client));
            }
        });
    }

    public int Port { get; }

    /// <summary>Canceled when the server stops: connections still open end with it.</summary>
    public CancellationToken Stopping => _stop.Token;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
    }
}
