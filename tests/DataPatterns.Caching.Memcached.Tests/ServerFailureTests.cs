using System.Buffers;
using System.Diagnostics;
using DataPatterns.Caching.Memcached.Client;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>
/// A memcached server killed (SIGKILL to the test's own instance) or paused (SIGSTOP) mid-run: callers get answers from
/// memory and the loader or a bounded failure, nothing wrong is served, and the server is marked down and back.
/// </summary>
[Collection(PrivateServers.Name)]
public class ServerFailureTests
{
    [Fact]
    public async Task A_killed_server_is_marked_down_reads_come_from_memory_and_the_loader_and_after_its_restart_it_takes_its_keys_back()
    {
        await using var a = await PrivateMemcached.StartNewAsync();
        await using var b = await PrivateMemcached.StartNewAsync();
        var database = new SharedDatabase();
        for (var i = 0; i < 200; i++)
        {
            database.Rows[i] = $"v{i}";
        }

        await using var instance = new MemcachedInstance([a.Address, b.Address], MemcachedInstance.NewApplication(), database,
            o => o.Expiration.Duration = TimeSpan.FromMinutes(5),
            m => m.RetryDownServerAfter = TimeSpan.FromMilliseconds(300));
        using var down = new MetricCollector<int>(instance.Provider.GetRequiredService<MemcachedCachingMetrics>().Meter, "datapatterns.cache.memcached.servers_down");
        var writer = Task.Run(async () =>
        {
            for (var round = 0; round < 6; round++)
            {
                for (var i = 0; i < 200; i++)
                {
                    var value = $"v{i}-{round}";
                    await instance.Cache.SetAsync(i, value); // write-through: the database first, then the cache levels
                    Assert.Equal(value, await instance.Cache.GetOrLoadAsync(i));
                }
            }
        });

        await Task.Delay(50);
        await a.KillAsync();
        await writer;

        await WaitUntilAsync(async () =>
        {
            var key = Random.Shared.Next(200);
            await instance.Cache.SetAsync(key, database.Rows[key]); // writes reach the L2 (reads are served by memory)
            return instance.Client.ServersDown == 1;
        });
        down.RecordObservableInstruments();
        Assert.Equal(1, down.LastMeasurement?.Value);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(database.Rows[i], await instance.Cache.GetOrLoadAsync(i));
        }

        await a.StartAsync();
        await WaitUntilAsync(async () =>
        {
            var key = Random.Shared.Next(200);
            await instance.Cache.SetAsync(key, database.Rows[key]); // commands for its keys retry it
            return instance.Client.ServersDown == 0;
        });
        down.RecordObservableInstruments();
        Assert.Equal(0, down.LastMeasurement?.Value);

        // A new instance has nothing in memory: every read goes to the servers, where the returning one was emptied.
        await using var fresh = new MemcachedInstance([a.Address, b.Address], instance.Application, database);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(database.Rows[i], await fresh.Cache.GetOrLoadAsync(i));
        }
    }

    [Fact]
    public async Task A_paused_server_fails_commands_within_the_read_bound_and_is_marked_down_after_timeouts_in_a_row()
    {
        await using var server = await PrivateMemcached.StartNewAsync();
        await using var client = Clients.For([server.Address], o =>
        {
            o.CommandTimeout = TimeSpan.FromMilliseconds(200);
            o.FailuresBeforeDown = 2;
        });
        await client.SetAsync("k", "v"u8.ToArray(), null);

        await server.PauseAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            var first = await Assert.ThrowsAsync<MemcachedTimeoutException>(async () => await client.GetAsync("k", new ArrayBufferWriter<byte>()));
            Assert.Contains("CommandTimeout", first.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<MemcachedTimeoutException>(async () => await client.GetAsync("k", new ArrayBufferWriter<byte>()));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"two reads of a paused server took {clock.Elapsed}");
            Assert.Equal(1, client.ServersDown);
            await Assert.ThrowsAsync<MemcachedServerUnavailableException>(async () => await client.GetAsync("k", new ArrayBufferWriter<byte>()));
        }
        finally
        {
            await server.ResumeAsync();
        }
    }

    [Fact]
    public async Task A_paused_server_behind_the_cache_costs_a_bounded_wait_and_the_loader_answers()
    {
        await using var server = await PrivateMemcached.StartNewAsync();
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        await using var instance = new MemcachedInstance([server.Address], MemcachedInstance.NewApplication(), database,
            o => o.Distributed.Timeout = TimeSpan.FromMilliseconds(300),
            m => m.CommandTimeout = TimeSpan.FromMilliseconds(300));
        using var errors = new MetricCollector<long>(instance.Metrics.LevelErrors);

        await server.PauseAsync();
        try
        {
            Assert.Equal("v1", await instance.Cache.GetOrLoadAsync(1).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains(errors.GetMeasurementSnapshot(), m => (string?)m.Tags["error.type"] == typeof(MemcachedTimeoutException).FullName);
        }
        finally
        {
            await server.ResumeAsync();
        }
    }

    [Fact]
    public async Task More_callers_than_a_paused_server_can_queue_get_fast_failures_or_answers_never_a_hang()
    {
        await using var server = await PrivateMemcached.StartNewAsync();
        await using var client = Clients.For([server.Address], o =>
        {
            o.ConnectionsPerServer = 1;
            o.MaxPendingPerConnection = 64;
            o.CommandTimeout = TimeSpan.FromMilliseconds(500);
        });
        await client.SetAsync("k", "v"u8.ToArray(), null);

        await server.PauseAsync();
        try
        {
            var calls = Enumerable.Range(0, 2000).Select(async _ =>
            {
                try
                {
                    await client.GetAsync("k", new ArrayBufferWriter<byte>());
                    return "answer";
                }
                catch (MemcachedException ex)
                {
                    return ex.GetType().Name;
                }
            }).ToList();

            var outcomes = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains(nameof(MemcachedOverloadedException), outcomes);
            Assert.All(outcomes, o => Assert.Contains(o, new[] { "answer", nameof(MemcachedOverloadedException), nameof(MemcachedTimeoutException), nameof(MemcachedServerUnavailableException) }));
        }
        finally
        {
            await server.ResumeAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition) => await WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(50);
        }
    }
}
