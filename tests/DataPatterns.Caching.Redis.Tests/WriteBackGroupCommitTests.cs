using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using DataPatterns.Testing;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>One write of a generated history: the key, and what the writer does before it (0 nothing, 1 yield, n ms - 1).</summary>
internal sealed record GroupCommitWrite(int Key, int Pause);

/// <summary>
/// Group commit of durable write-back appends: concurrent writers share script calls, and each caller still gets its own
/// entry's id, only once it is in the stream, in an order consistent with its acknowledgement.
/// </summary>
public class WriteBackGroupCommitTests
{
    private static readonly Gen<GroupCommitWrite> Write =
        from key in Gen.Choose(0, 7)
        from pause in Gen.Frequency((6, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Choose(2, 4)))
        select new GroupCommitWrite(key, pause);

    private static readonly Gen<GroupCommitWrite[][]> Histories =
        from writers in Gen.Choose(1, 16)
        from history in Gen.ArrayOf(from count in Gen.Choose(1, 25) from writes in Gen.ArrayOf(Write, count) select writes, writers)
        select history;

    private sealed record Ack(int Writer, int Key, string Value, string Id, long Version, long Started, long Acknowledged);

    [Theory]
    [InlineData(20261204UL)]
    [InlineData(11UL)]
    public async Task Every_acknowledged_append_is_in_the_stream_once_with_its_own_id_ordered_like_its_acknowledgement_and_read_back_by_the_flusher(ulong seed)
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        await using var instance = new DurabilityInstance(RedisInstance.SharedRedis, RedisInstance.NewApplication(), new VersionedRows());
        var store = (RedisWriteBackStore)instance.Provider.GetRequiredService<IWriteBackStore>();
        var appender = new RedisWriteBackAppender(new RedisWriteBackDurabilityOptions(), TimeProvider.System);
        var histories = Histories.Sample(10, new Rnd(seed), 12);
        var appends = 0;
        for (var h = 0; h < histories.Length; h++)
        {
            var cacheName = "history" + h.ToString(CultureInfo.InvariantCulture);
            var acks = await RunAsync(appender, redis, store.StreamKey(cacheName), histories[h]);
            appends += acks.Count;
            try
            {
                Assert.Equal(histories[h].Sum(w => w.Length), acks.Count);
                await AssertInStreamOnceAsync(redis, store.StreamKey(cacheName), acks);
                AssertOrderedLikeAcknowledgement(acks);
                await AssertReadBackAsync(store, cacheName, acks);
            }
            finally
            {
                await redis.GetDatabase().KeyDeleteAsync(store.StreamKey(cacheName));
            }
        }

        Assert.True(appender.Batches < appends, $"{appends} appends in {appender.Batches} script calls: concurrent appends were not batched");
    }

    private static async Task<List<Ack>> RunAsync(RedisWriteBackAppender appender, ConnectionMultiplexer redis, RedisKey stream, GroupCommitWrite[][] history)
    {
        long clock = 0;
        var acks = new ConcurrentBag<Ack>();
        await Task.WhenAll(history.Select((writes, writer) => Task.Run(async () =>
        {
            for (var i = 0; i < writes.Length; i++)
            {
                if (writes[i].Pause == 1)
                {
                    await Task.Yield();
                }
                else if (writes[i].Pause > 1)
                {
                    await Task.Delay(writes[i].Pause - 1);
                }

                var value = string.Create(CultureInfo.InvariantCulture, $"w{writer}-{i}");
                var started = Interlocked.Increment(ref clock);
                var id = await appender.AppendAsync(
                    redis, stream, Encoding.UTF8.GetBytes(writes[i].Key.ToString(CultureInfo.InvariantCulture)), Encoding.UTF8.GetBytes(value), CancellationToken.None);
                acks.Add(new Ack(writer, writes[i].Key, value, id, RedisWriteBackStore.VersionOf(id), started, Interlocked.Increment(ref clock)));
            }
        })));
        return [.. acks];
    }

    private static async Task AssertInStreamOnceAsync(ConnectionMultiplexer redis, RedisKey stream, List<Ack> acks)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(stream);
        Assert.Equal(acks.Count, entries.Length);
        var byValue = entries.GroupBy(e => (string)e["v"]!).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        Assert.All(acks, ack =>
        {
            var entry = Assert.Single(byValue[ack.Value]);
            Assert.Equal(ack.Id, entry.Id.ToString());
            Assert.Equal(ack.Key.ToString(CultureInfo.InvariantCulture), (string)entry["k"]!);
        });
    }

    /// <summary>
    /// Per key: a write acknowledged before another started has the lower version; one writer's writes go up; no two share one.
    /// </summary>
    private static void AssertOrderedLikeAcknowledgement(List<Ack> acks)
    {
        Assert.Equal(acks.Count, acks.Select(a => a.Version).Distinct().Count());
        foreach (var writer in acks.GroupBy(a => a.Writer))
        {
            var versions = writer.OrderBy(a => a.Started).Select(a => a.Version).ToList();
            Assert.True(versions.Zip(versions.Skip(1)).All(p => p.First < p.Second), $"writer {writer.Key}'s versions do not increase");
        }

        foreach (var key in acks.GroupBy(a => a.Key))
        {
            foreach (var earlier in key)
            {
                Assert.All(key.Where(later => later.Started > earlier.Acknowledged), later => Assert.True(
                    earlier.Version < later.Version, $"key {key.Key}: {earlier.Id} was acknowledged before {later.Id} started but is not lower"));
            }
        }
    }

    /// <summary>What the flusher reads (the store's XREADGROUP path) holds every acknowledged append, with its version.</summary>
    private static async Task AssertReadBackAsync(RedisWriteBackStore store, string cacheName, List<Ack> acks)
    {
        var read = new List<WriteBackRecord>();
        while (true)
        {
            var records = await store.ReadAsync(cacheName, 100, CancellationToken.None);
            if (records.Count == 0)
            {
                break;
            }

            read.AddRange(records);
            await store.AcknowledgeAsync(cacheName, records, CancellationToken.None);
        }

        var byId = read.ToDictionary(r => r.Id, StringComparer.Ordinal);
        Assert.Equal(acks.Count, byId.Count);
        Assert.All(acks, ack =>
        {
            var record = byId[ack.Id];
            Assert.Equal(ack.Version, record.Version);
            Assert.Equal(ack.Value, Encoding.UTF8.GetString(record.Value.Span));
        });
        Assert.Equal(0, await store.GetLengthAsync(cacheName, CancellationToken.None));
    }
}

/// <summary>Group commit when Redis stalls: a failed batch fails all its callers; waiting appends are bounded and cancellable.</summary>
[Collection(PrivateServers.Name)]
public class WriteBackGroupCommitFailureTests
{
    [Fact]
    public async Task When_Redis_stalls_past_the_timeout_every_caller_of_the_failed_batch_gets_the_exception_and_none_is_acknowledged()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        await using var instance = new DurabilityInstance(redis.ConnectionString, RedisInstance.NewApplication(), new VersionedRows());
        await instance.Cache.SetAsync(0, "before"); // connected, persistence checked
        var appender = ((RedisWriteBackStore)instance.Provider.GetRequiredService<IWriteBackStore>()).Appender;
        var batchesBefore = appender.Batches;

        // Every command now waits 8 s, past the 2 s command timeout: the first two appends take the two slots and time
        // out alone, and the fourteen that arrive meanwhile go as one batch, which times out too.
        await RedisMidCallFailureTests.RedisCliAsync(redis.Port, "CLIENT", "PAUSE", "8000", "ALL");
        try
        {
            var writes = Enumerable.Range(1, 16).Select(k => instance.Cache.SetAsync(k, "lost").AsTask()).ToArray();
            foreach (var write in writes)
            {
                var failed = await Assert.ThrowsAsync<WriteBackUnavailableException>(() => write);
                Assert.True(failed.InnerException is RedisTimeoutException or RedisConnectionException, failed.ToString());
            }

            Assert.Equal(3, appender.Batches - batchesBefore);
        }
        finally
        {
            await RedisMidCallFailureTests.RedisCliAsync(redis.Port, "CLIENT", "UNPAUSE");
        }

        // None was reported as written, so none is served; the queue works again once Redis answers.
        foreach (var key in Enumerable.Range(1, 16))
        {
            Assert.False((await instance.Cache.TryGetAsync(key)).Found);
        }

        await instance.SetWhenReachableAsync(17, "after");
    }

    [Fact]
    public async Task Appends_waiting_for_the_batch_in_flight_are_bounded_and_one_cancelled_before_it_is_sent_is_not_appended()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        await using var connection = await ServerConnections.ConnectRedisAsync(redis.Server);
        var limits = new RedisWriteBackBatchLimits { MaxInFlight = 1, MaxBatchEntries = 4, MaxWaitingEntries = 8 };
        var appender = new RedisWriteBackAppender(new RedisWriteBackDurabilityOptions(), TimeProvider.System, limits);
        RedisKey stream = "bounded:writeback";
        Task<string> Append(string value, CancellationToken cancellationToken = default) =>
            appender.AppendAsync(connection, stream, "k"u8.ToArray(), Encoding.UTF8.GetBytes(value), cancellationToken);

        await RedisMidCallFailureTests.RedisCliAsync(redis.Port, "CLIENT", "PAUSE", "1500", "ALL"); // ends by itself
        var inFlight = Append("a0");
        var waiting = Enumerable.Range(1, 7).Select(i => Append("a" + i)).ToList();
        using var cancellation = new CancellationTokenSource();
        var cancelled = Append("cancelled", cancellation.Token);
        await Assert.ThrowsAsync<WriteBackUnavailableException>(() => Append("refused")); // 8 wait already
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        waiting.Add(Append("a8")); // its place was freed

        var ids = new List<string> { await inFlight };
        foreach (var append in waiting)
        {
            ids.Add(await append);
        }

        // Sent in arrival order (a0 alone, then a1-a4 and a5-a8): ids increase in that order; "cancelled" never went.
        var entries = await connection.GetDatabase().StreamRangeAsync(stream);
        Assert.Equal(ids, entries.Select(e => e.Id.ToString()));
        Assert.Equal(Enumerable.Range(0, 9).Select(i => "a" + i), entries.Select(e => (string)e["v"]!));
        Assert.Equal(3, appender.Batches);
    }
}
