using DataPatterns.Testing;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>Disposing the client leaves no connection open, not even one whose connect was under way.</summary>
[Collection(PrivateServers.Name)]
public class DisposeTests
{
    [Fact]
    public async Task Connections_opened_after_dispose_are_closed_at_once()
    {
        await using var server = await PrivateMemcached.StartNewAsync();
        var before = await MemcachedStats.ReadAsync(server, "curr_connections");
        for (var round = 0; round < 20; round++)
        {
            var client = Clients.For([server.Address], o => o.ConnectionsPerServer = 8);
            // Every slot starts connecting; the client is disposed while the connects are under way.
            var calls = Enumerable.Range(0, 16).Select(_ => client.SetAsync("k", "v"u8.ToArray(), null).AsTask()).ToList();
            await client.DisposeAsync();
            await Task.WhenAll(calls.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(10));
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        long after;
        while ((after = await MemcachedStats.ReadAsync(server, "curr_connections")) != before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100); // the server sees a closed socket a moment later
        }

        Assert.Equal(before, after);
    }
}
