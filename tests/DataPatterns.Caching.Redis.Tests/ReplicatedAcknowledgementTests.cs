using System.Text;
using DataPatterns.Testing;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>WriteBackDurability.RequiredReplicas: a write is acknowledged only once replicas hold it.</summary>
[Collection(PrivateServers.Name)]
public class ReplicatedAcknowledgementTests
{
    [Fact]
    public async Task A_write_is_acknowledged_once_the_replica_holds_it_and_fails_with_the_typed_exception_when_the_replica_is_gone()
    {
        await using var primary = await PrivateRedis.StartNewAsync(["--appendonly", "yes", "--appendfsync", "always"]);
        await using var replica = await PrivateRedis.StartReplicaAsync(primary);
        var application = RedisInstance.NewApplication();
        await using var instance = new DurabilityInstance(primary.ConnectionString, application, new VersionedRows(), d =>
        {
            d.RequiredReplicas = 1;

            // Long enough for a loaded machine to replicate the first write (with fsync on both sides), and below the
            // command timeout as the options require; the second write, after the kill, waits it out once.
            d.ReplicaTimeout = TimeSpan.FromSeconds(1);
        });
        _ = instance.Cache;
        await instance.StartingAsync();

        await instance.Cache.SetAsync(1, "replicated");
        await using (var onReplica = await ServerConnections.ConnectRedisAsync(replica.Server))
        {
            // WAIT returned 1: the replica has the entry now, without waiting for it.
            Assert.Equal(1, await onReplica.GetDatabase().StreamLengthAsync(application + ":items:writeback"));
        }

        await replica.KillAsync(); // killed before it can acknowledge the next write

        var failed = await Assert.ThrowsAsync<WriteBackUnavailableException>(() => instance.Cache.SetAsync(2, "unreplicated").AsTask());
        var notReplicated = Assert.IsType<RedisWriteBackNotReplicatedException>(failed.InnerException);
        Assert.Equal(1, notReplicated.RequiredReplicas);
        Assert.Equal(0, notReplicated.AcknowledgedReplicas);
        Assert.Contains("RequiredReplicas", notReplicated.Message, StringComparison.Ordinal);

        // Not reported as acknowledged: the cache does not serve it either.
        Assert.False((await instance.Cache.TryGetAsync(2)).Found);

        // Concurrent writes share one WAIT per batch (the first alone, the seven arriving meanwhile together), and a
        // batch whose WAIT fails fails every caller in it with the same typed exception.
        var appender = ((RedisWriteBackStore)instance.Provider.GetRequiredService<IWriteBackStore>()).Appender;
        var batchesBefore = appender.Batches;
        var writes = Enumerable.Range(10, 8).Select(k => instance.Cache.SetAsync(k, "unreplicated").AsTask()).ToArray();
        foreach (var write in writes)
        {
            var batchFailed = await Assert.ThrowsAsync<WriteBackUnavailableException>(() => write);
            Assert.Equal(0, Assert.IsType<RedisWriteBackNotReplicatedException>(batchFailed.InnerException).AcknowledgedReplicas);
        }

        Assert.Equal(2, appender.Batches - batchesBefore);
        Assert.All(Enumerable.Range(10, 8), k => Assert.False(instance.Cache.TryGetAsync(k).AsTask().Result.Found));
    }

    [Fact]
    public async Task Level_two_reads_answer_while_appends_wait_for_a_dead_replica_because_the_waits_have_a_connection_of_their_own()
    {
        await using var primary = await PrivateRedis.StartNewAsync(["--appendonly", "yes", "--appendfsync", "always"]);
        await using var replica = await PrivateRedis.StartReplicaAsync(primary);
        var application = RedisInstance.NewApplication();
        await using var instance = new DurabilityInstance(primary.ConnectionString, application, new VersionedRows(), d =>
        {
            d.RequiredReplicas = 1;
            d.ReplicaTimeout = TimeSpan.FromMilliseconds(600);
        });
        _ = instance.Cache;
        await instance.StartingAsync();
        var level2 = instance.Provider.GetRequiredKeyedService<IDistributedCache>(CachingServiceKeys.DistributedCache);
        var entry = application + ":only-in-l2";
        await level2.SetAsync(entry, Encoding.UTF8.GetBytes("there"), new DistributedCacheEntryOptions());

        await replica.KillAsync(); // every WAIT now takes the whole ReplicaTimeout

        // Eight appends to eight streams (appends to one stream share a WAIT) wait 600 ms each, one after another:
        // 4.8 s of WAIT, well past the 2 s command timeout. On the connection the reads use, a read queued behind them
        // would fail with a timeout.
        var store = instance.Provider.GetRequiredService<IWriteBackStore>();
        var appends = Enumerable.Range(10, 8).Select(k => store.AppendAsync("items" + k, new byte[] { 1 }, new byte[] { 2 }, CancellationToken.None).AsTask()).ToArray();
        var reads = new List<string?>();
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(100);
            var read = await level2.GetAsync(entry);
            reads.Add(read is null ? null : Encoding.UTF8.GetString(read));
        }

        Assert.All(reads, r => Assert.Equal("there", r));
        foreach (var append in appends)
        {
            // Not acknowledged: its WAIT timed out, or (queued behind the others' WAITs) its command did.
            var failed = await Assert.ThrowsAnyAsync<Exception>(() => append);
            Assert.True(failed is RedisWriteBackNotReplicatedException or StackExchange.Redis.RedisTimeoutException, failed.ToString());
        }
    }
}
