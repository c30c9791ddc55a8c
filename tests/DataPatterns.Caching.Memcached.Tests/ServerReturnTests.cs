using System.Buffers;
using DataPatterns.Caching.Memcached.Client;
using DataPatterns.Testing;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>
/// A server marked down and back: copies written elsewhere meanwhile expire before it can fail again, it is emptied
/// once per return, and one that refuses <c>flush_all</c> (memcached -F) still comes back.
/// </summary>
[Collection(PrivateServers.Name)]
public class ServerReturnTests
{
    [Fact]
    public async Task A_write_redirected_from_a_down_server_lives_no_longer_than_the_retry_interval()
    {
        await using var a = await PrivateMemcached.StartNewAsync();
        await using var b = await PrivateMemcached.StartNewAsync();
        await using var client = Clients.For([a.Address, b.Address], o => o.RetryDownServerAfter = TimeSpan.FromSeconds(3));
        var key = Clients.Unique();
        while (client.ServerFor(key)!.Endpoint.Name != a.Address)
        {
            key = Clients.Unique();
        }

        await a.KillAsync();
        var down = client.Servers.Single(s => s.Endpoint.Name == a.Address);
        while (!down.IsDown)
        {
            await Assert.ThrowsAnyAsync<MemcachedException>(async () => await client.NoopAsync(down));
        }

        await client.SetAsync(key, "v"u8.ToArray(), TimeSpan.FromHours(1));

        await using var onB = Clients.For([b.Address]);
        var copy = await onB.GetAsync(key, new ArrayBufferWriter<byte>());
        Assert.Equal(MetaStatus.Hit, copy.Status);
        Assert.InRange(copy.RemainingTtl, 1, 3);
    }

    [Fact]
    public async Task A_returning_server_is_flushed_once_however_many_connections_open_and_keeps_what_is_written_after()
    {
        await using var server = await PrivateMemcached.StartNewAsync();
        await using var client = Clients.For([server.Address], o =>
        {
            o.ConnectionsPerServer = 8;
            // Long enough that the return itself (connects, flush, the writes queued behind it) never times out on a
            // busy machine, which would mark the server down again and legitimately flush it a second time.
            o.CommandTimeout = TimeSpan.FromSeconds(2);
            o.FailuresBeforeDown = 1;
            o.RetryDownServerAfter = TimeSpan.FromMilliseconds(200);
        });
        await MarkDownByPauseAsync(server, client);
        await Task.Delay(300);

        // Every slot connects at once while the server is still marked down.
        var calls = Enumerable.Range(0, 64).Select(async i =>
        {
            try
            {
                await client.SetAsync("k" + i, "v"u8.ToArray(), null);
            }
            catch (MemcachedException)
            {
            }
        });
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, client.ServersDown);

        await client.SetAsync("after", "v"u8.ToArray(), null);
        await Task.Delay(200);
        Assert.Equal(MetaStatus.Hit, (await client.GetAsync("after", new ArrayBufferWriter<byte>())).Status);
        Assert.Equal(1, await MemcachedStats.ReadAsync(server, "cmd_flush"));
    }

    [Fact]
    public async Task A_server_that_refuses_flush_all_comes_back_after_being_marked_down()
    {
        await using var server = await PrivateMemcached.StartNewAsync("1m", disableFlushAll: true);
        await using var client = Clients.For([server.Address], o =>
        {
            o.CommandTimeout = TimeSpan.FromMilliseconds(300);
            o.FailuresBeforeDown = 1;
            o.RetryDownServerAfter = TimeSpan.FromMilliseconds(200);
        });
        await MarkDownByPauseAsync(server, client);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (client.ServersDown != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "a server refusing flush_all stayed marked down");
            try
            {
                await client.SetAsync("k", "v"u8.ToArray(), null);
            }
            catch (MemcachedException)
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal(MetaStatus.Hit, (await client.GetAsync("k", new ArrayBufferWriter<byte>())).Status);
    }

    private static async Task MarkDownByPauseAsync(PrivateMemcached server, MemcachedClient client)
    {
        await client.SetAsync("before", "v"u8.ToArray(), null);
        await server.PauseAsync();
        try
        {
            await Assert.ThrowsAsync<MemcachedTimeoutException>(async () => await client.GetAsync("before", new ArrayBufferWriter<byte>()));
            Assert.Equal(1, client.ServersDown);
        }
        finally
        {
            await server.ResumeAsync();
        }
    }
}
