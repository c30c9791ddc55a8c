using System.Globalization;
using System.Net.Sockets;
using System.Text;
using DataPatterns.Testing;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>A server's own counters (<c>stats</c>), read over a connection of the test's own.</summary>
internal static class MemcachedStats
{
    /// <summary>The value of <c>STAT <paramref name="name"/></c>; the reading connection counts in curr_connections.</summary>
    public static async Task<long> ReadAsync(PrivateMemcached server, string name)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync("stats\r\n"u8.ToArray());
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().EndsWith("END\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            Assert.True(read > 0, "memcached closed the connection during stats");
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var prefix = "STAT " + name + " ";
        var line = text.ToString().Split("\r\n").Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return long.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }
}
