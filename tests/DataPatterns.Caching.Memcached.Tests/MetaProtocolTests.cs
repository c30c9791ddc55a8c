using System.Buffers;
using System.Text;
using DataPatterns.Caching.Memcached.Client;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>The meta commands against the real servers: values, misses, deletes, TTLs and many commands in flight.</summary>
public class MetaProtocolTests
{
    [Fact]
    public async Task Set_get_and_delete_answer_as_the_meta_protocol_says()
    {
        await using var client = Clients.For(await MemcachedInstance.SharedServersAsync());
        var key = Clients.Unique();
        var buffer = new ArrayBufferWriter<byte>();

        Assert.Equal(MetaStatus.Miss, (await client.GetAsync(key, buffer)).Status);
        Assert.Equal(MetaStatus.Done, (await client.SetAsync(key, "hello"u8.ToArray(), TimeSpan.FromSeconds(100))).Status);
        var hit = await client.GetAsync(key, buffer);
        Assert.Equal(MetaStatus.Hit, hit.Status);
        Assert.InRange(hit.RemainingTtl, 90, 100);
        Assert.Equal("hello", Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(MetaStatus.Done, (await client.DeleteAsync(key)).Status);
        Assert.Equal(MetaStatus.NotFound, (await client.DeleteAsync(key)).Status);
        Assert.Equal(MetaStatus.Miss, (await client.GetAsync(key, buffer)).Status);
    }

    [Fact]
    public async Task A_value_without_expiry_reports_no_ttl_and_an_empty_value_is_a_hit()
    {
        await using var client = Clients.For(await MemcachedInstance.SharedServersAsync());
        var key = Clients.Unique();
        await client.SetAsync(key, Array.Empty<byte>(), null);

        var hit = await client.GetAsync(key, new ArrayBufferWriter<byte>());

        Assert.Equal(MetaStatus.Hit, hit.Status);
        Assert.Equal(-1, hit.RemainingTtl);
        Assert.Equal(0, hit.ValueLength);
    }

    [Fact]
    public async Task A_ttl_over_30_days_is_sent_as_a_unix_time_and_the_server_keeps_it_as_that_long()
    {
        await using var client = Clients.For(await MemcachedInstance.SharedServersAsync());
        var key = Clients.Unique();
        var forty = TimeSpan.FromDays(40);

        await client.SetAsync(key, "long"u8.ToArray(), forty);
        var hit = await client.GetAsync(key, new ArrayBufferWriter<byte>());

        Assert.InRange(hit.RemainingTtl, (long)forty.TotalSeconds - 120, (long)forty.TotalSeconds + 5);
    }

    [Fact]
    public void Ttl_flags_round_up_switch_to_unix_time_past_30_days_and_expire_at_once_when_not_positive()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var client = Clients.For(["127.0.0.1:1"], time: time);

        Assert.Equal(0, client.TtlFlagOf(null));
        Assert.Equal(-1, client.TtlFlagOf(TimeSpan.Zero));
        Assert.Equal(-1, client.TtlFlagOf(TimeSpan.FromSeconds(-5)));
        Assert.Equal(1, client.TtlFlagOf(TimeSpan.FromMilliseconds(1)));
        Assert.Equal(11, client.TtlFlagOf(TimeSpan.FromSeconds(10.2)));
        Assert.Equal(MemcachedClient.MaxRelativeTtlSeconds, client.TtlFlagOf(TimeSpan.FromDays(30)));
        Assert.Equal(1_800_000_000 + (31 * 86400), client.TtlFlagOf(TimeSpan.FromDays(31)));
    }

    [Fact]
    public async Task Many_commands_in_flight_on_one_connection_each_get_their_own_answer()
    {
        await using var client = Clients.For(await MemcachedInstance.SharedServersAsync(), o => o.ConnectionsPerServer = 1);
        var run = Clients.Unique();
        await Task.WhenAll(Enumerable.Range(0, 500).Select(i => client.SetAsync($"{run}-{i}", Encoding.UTF8.GetBytes($"v{i}"), TimeSpan.FromMinutes(1)).AsTask()));

        var reads = Enumerable.Range(0, 1000).Select(async i =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            var result = await client.GetAsync($"{run}-{i}", buffer);
            return (i, result.Status, Value: Encoding.UTF8.GetString(buffer.WrittenSpan));
        });

        foreach (var (i, status, value) in await Task.WhenAll(reads))
        {
            Assert.Equal(i < 500 ? MetaStatus.Hit : MetaStatus.Miss, status);
            Assert.Equal(i < 500 ? $"v{i}" : "", value);
        }
    }

    [Fact]
    public async Task A_cancelled_read_fails_as_cancelled_and_the_connection_serves_the_next()
    {
        await using var client = Clients.For(await MemcachedInstance.SharedServersAsync(), o => o.ConnectionsPerServer = 1);
        var key = Clients.Unique();
        await client.SetAsync(key, "v"u8.ToArray(), null);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.GetAsync(key, new ArrayBufferWriter<byte>(), cancelled.Token));
        Assert.Equal(MetaStatus.Hit, (await client.GetAsync(key, new ArrayBufferWriter<byte>())).Status);
    }
}
