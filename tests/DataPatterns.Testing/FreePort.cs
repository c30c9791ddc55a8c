using System.Net;
using System.Net.Sockets;

namespace DataPatterns.Testing;

/// <summary>Finds a loopback TCP port nobody listens on, for servers a test starts for itself.</summary>
public static class FreePort
{
    /// <summary>Asks the kernel for an unused loopback port.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
