using System.Buffers;
using DataPatterns.Caching.Memcached.Client;
using DataPatterns.Testing;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>A value over the item size limit fails with a sentence naming the size, the limit and the fix.</summary>
[Collection(PrivateServers.Name)]
public class ItemSizeTests
{
    [Fact]
    public async Task A_value_over_the_limit_is_refused_before_sending_with_its_size_the_limit_and_the_fix()
    {
        var servers = await MemcachedInstance.SharedServersAsync();
        await using var client = Clients.For(servers);
        var key = Clients.Unique();

        var error = await Assert.ThrowsAsync<MemcachedItemTooLargeException>(async () => await client.SetAsync(key, new byte[1024 * 1024], null));

        Assert.Equal(1024 * 1024, error.Limit);
        Assert.True(error.ItemSize > error.Limit);
        Assert.Contains($"{1024 * 1024} bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxItemSize", error.Message, StringComparison.Ordinal);
        Assert.Contains("-I", error.Message, StringComparison.Ordinal);
        Assert.Equal(MetaStatus.Miss, (await client.GetAsync(key, new ArrayBufferWriter<byte>())).Status);
    }

    [Fact]
    public async Task A_value_just_under_the_limit_is_stored_and_read_back_whole()
    {
        var servers = await MemcachedInstance.SharedServersAsync();
        await using var client = Clients.For(servers);
        var key = Clients.Unique();
        var value = new byte[(1024 * 1024) - 300];
        Random.Shared.NextBytes(value);

        Assert.Equal(MetaStatus.Done, (await client.SetAsync(key, value, TimeSpan.FromMinutes(1))).Status);
        var buffer = new ArrayBufferWriter<byte>();
        Assert.Equal(MetaStatus.Hit, (await client.GetAsync(key, buffer)).Status);
        Assert.True(buffer.WrittenSpan.SequenceEqual(value));
    }

    [Fact]
    public async Task A_server_with_a_smaller_limit_answers_object_too_large_as_the_same_error_and_the_connection_goes_on()
    {
        await using var server = await PrivateMemcached.StartNewAsync(itemSize: "1m");
        await using var client = Clients.For([server.Address], o =>
        {
            o.MaxItemSize = 4 * 1024 * 1024; // misconfigured: above the server's -I
            o.ConnectionsPerServer = 1;
        });

        var error = await Assert.ThrowsAsync<MemcachedItemTooLargeException>(async () => await client.SetAsync("big", new byte[2 * 1024 * 1024], null));

        Assert.Contains("object too large", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxItemSize", error.Message, StringComparison.Ordinal);
        Assert.Equal(MetaStatus.Done, (await client.SetAsync("small", "ok"u8.ToArray(), null)).Status);
        var buffer = new ArrayBufferWriter<byte>();
        Assert.Equal(MetaStatus.Hit, (await client.GetAsync("small", buffer)).Status);
        Assert.Equal("ok"u8.ToArray(), buffer.WrittenSpan.ToArray());
        Assert.False(client.Servers[0].IsDown);
    }
}
