using System.Net;
using System.Net.Sockets;

namespace Oci.Build.Tests.Infrastructure;

public static class FreePort
{
    private static readonly HashSet<int> Given = [];

    /// <summary>
    /// A TCP port on 127.0.0.1 that was free a moment ago and that this test run has not handed out before: servers of
    /// parallel tests start a little after asking, and the kernel may offer a just-closed port again.
    /// </summary>
    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (Given)
            {
                if (Given.Add(port)) return port;
            }
        }
    }
}
