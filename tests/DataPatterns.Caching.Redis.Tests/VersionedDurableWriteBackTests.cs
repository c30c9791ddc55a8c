using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Redis.Tests;

public class VersionedDurableWriteBackTests
{
    /// <summary>Keeps, per key, the value with the highest version (what a versioned upsert does in a database).</summary>
    private sealed class VersionedTable : IVersionedCacheWriter<int, string>
    {
        public ConcurrentDictionary<int, (string Value, long Version)> Rows { get; } = new();

        public ConcurrentQueue<WriteBackEntry<int, string>> Offered { get; } = new();

        public ValueTask WriteAsync(int key, string value, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a write-back flush must use the versioned batch");

        public ValueTask WriteVersionedBatchAsync(IReadOnlyList<WriteBackEntry<int, string>> batch, CancellationToken cancellationToken)
        {
            foreach (var entry in batch)
            {
                Offered.Enqueue(entry);
                Rows.AddOrUpdate(entry.Key, (entry.Value, entry.Version), (_, row) => row.Version < entry.Version ? (entry.Value, entry.Version) : row);
            }

            return ValueTask.CompletedTask;
        }
    }

    private static ServiceProvider Instance(string application, VersionedTable table) =>
        new ServiceCollection()
            .AddCaching(c => c
                .Configure(o => o.ApplicationName = application)
                .AddCache<int, string>("items", o =>
                {
                    o.WriteStrategy = CacheWriteStrategy.WriteBack;
                    o.WriteBack.Durable = true;
                    o.WriteBack.FlushInterval = TimeSpan.FromHours(1);
                })
                .WithWriter(_ => table))
            .UseRedis(o =>
            {
                o.Configuration = RedisInstance.SharedRedis;
                o.WriteBackClaimIdleTime = TimeSpan.FromSeconds(2);
            })
            .Services.BuildServiceProvider();

    [Fact]
    public async Task A_write_taken_over_from_a_dead_instance_arrives_after_a_newer_one_and_its_lower_version_lets_the_newer_stay()
    {
        var application = RedisInstance.NewApplication();
        var table = new VersionedTable();
        await using var dying = Instance(application, table);
        await using var survivor = Instance(application, table);
        try
        {
            // The first instance queues the old value and takes it for a flush, then "dies": it never writes it.
            await dying.GetRequiredKeyedService<ICache<int, string>>("items").SetAsync(1, "old");
            var taken = await dying.GetRequiredService<IWriteBackStore>().ReadAsync("items", 10, CancellationToken.None);
            var stopwatch = Stopwatch.StartNew();
            Assert.Single(taken);

            // The survivor queues and flushes a newer value before the old one's claim time has come.
            var cache = survivor.GetRequiredKeyedService<ICache<int, string>>("items");
            await cache.SetAsync(1, "new");
            await cache.FlushAsync();
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), "the newer write was flushed before the old one could be claimed");
            Assert.Equal("new", table.Rows[1].Value);

            // Past the claim time the survivor takes the dead instance's write over and flushes it: it arrives last.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            await cache.FlushAsync();

            var offered = table.Offered.ToArray();
            Assert.Equal(["new", "old"], offered.Select(e => e.Value));
            Assert.True(offered[1].Version < offered[0].Version, "the stale write carries the lower version");
            Assert.Equal("new", table.Rows[1].Value);
            Assert.Equal(taken[0].Version, offered[1].Version);
        }
        finally
        {
            await using var redis = await DataPatterns.Testing.ServerConnections.ConnectRedisAsync();
            await redis.GetDatabase().KeyDeleteAsync(application + ":items:writeback");
        }
    }
}
