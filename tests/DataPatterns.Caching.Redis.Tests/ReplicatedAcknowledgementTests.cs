using DataPatterns.Testing;

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
            d.ReplicaTimeout = TimeSpan.FromMilliseconds(300);
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
    }
}
