using System.Net.Sockets;
using System.Text;
using DataPatterns.Testing;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>
/// Tag-removal markers live on every server: losing the server the ring would have put one on (killed or flushed) does
/// not bring back the removed entries the other servers still hold.
/// </summary>
[Collection(PrivateServers.Name)]
public class MarkerSpreadTests
{
    private const int Keys = 60;

    [Fact]
    public async Task A_tag_removal_stays_in_force_after_the_server_that_held_its_marker_is_killed()
    {
        await using var a = await PrivateMemcached.StartNewAsync();
        await using var b = await PrivateMemcached.StartNewAsync();
        var (database, application, markerServer) = await RemoveByTagAsync(a, b);
        var holder = markerServer == a.Address ? a : b;

        await holder.KillAsync();
        await using var fresh = new MemcachedInstance([a.Address, b.Address], application, database, memcached: m => m.RetryDownServerAfter = TimeSpan.FromMinutes(1));
        // The new instance learns the server is gone first, so the marker's key maps to the survivor as a whole.
        var dead = fresh.Client.Servers.Single(s => s.Endpoint.Name == holder.Address);
        while (!dead.IsDown)
        {
            await Assert.ThrowsAnyAsync<MemcachedException>(async () => await fresh.Client.NoopAsync(dead));
        }

        await AssertRemovedAsync(fresh, database);
    }

    [Fact]
    public async Task A_tag_removal_stays_in_force_after_the_server_that_held_its_marker_is_flushed()
    {
        await using var a = await PrivateMemcached.StartNewAsync();
        await using var b = await PrivateMemcached.StartNewAsync();
        var (database, application, markerServer) = await RemoveByTagAsync(a, b);

        await FlushAsync(markerServer == a.Address ? a : b);
        await using var fresh = new MemcachedInstance([a.Address, b.Address], application, database);
        await AssertRemovedAsync(fresh, database);
    }

    /// <summary>Caches <see cref="Keys"/> tagged entries, changes the rows behind the cache's back and removes the tag.</summary>
    private static async Task<(SharedDatabase Database, string Application, string MarkerServer)> RemoveByTagAsync(PrivateMemcached a, PrivateMemcached b)
    {
        var database = new SharedDatabase();
        await using var instance = new MemcachedInstance([a.Address, b.Address], MemcachedInstance.NewApplication(), database,
            o => o.Expiration.Duration = TimeSpan.FromMinutes(5));
        for (var i = 0; i < Keys; i++)
        {
            await instance.Cache.SetAsync(i, $"old{i}", ["t"]);
            database.Rows[i] = $"new{i}";
        }

        await instance.Cache.RemoveByTagAsync("t");
        var markerServer = instance.Client.ServerFor($"{instance.Application}:items:tag:t")!.Endpoint.Name;
        return (database, instance.Application, markerServer);
    }

    private static async Task AssertRemovedAsync(MemcachedInstance fresh, SharedDatabase database)
    {
        for (var i = 0; i < Keys; i++)
        {
            Assert.Equal(database.Rows[i], await fresh.Cache.GetOrLoadAsync(i));
        }
    }

    private static async Task FlushAsync(PrivateMemcached server)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync("flush_all\r\n"u8.ToArray());
        var answer = new byte[16];
        var read = await stream.ReadAsync(answer);
        Assert.Equal("OK\r\n", Encoding.ASCII.GetString(answer, 0, read));
    }
}
