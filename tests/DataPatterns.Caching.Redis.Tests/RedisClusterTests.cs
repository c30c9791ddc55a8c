using System.Diagnostics;
using System.Globalization;
using DataPatterns.Testing;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>A private three-master Redis Cluster for <see cref="RedisClusterTests"/>; its processes are killed by pid at the end.</summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    public PrivateRedisCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PrivateRedisCluster.StartNewAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Everything the Redis package does, against Redis Cluster: every command it sends names one key (entry, tag, lock,
/// stream), so no two keys have to share a slot, and the entries of one cache spread over all masters.
/// </summary>
[Collection(PrivateServers.Name)]
public class RedisClusterTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    private string Redis => fixture.Cluster.ConnectionString;

    [Fact]
    public async Task Instances_share_the_distributed_level_spread_over_every_master_and_the_backplane_invalidates_within_100_ms()
    {
        var application = RedisInstance.NewApplication();
        var database = new SharedDatabase();
        for (var key = 0; key < 60; key++)
        {
            database.Rows[key] = "v" + key.ToString(CultureInfo.InvariantCulture);
        }

        await using var a = new RedisInstance(Redis, application, database);
        await using var b = new RedisInstance(Redis, application, database);
        await a.BackplaneReadyAsync();
        await b.BackplaneReadyAsync();

        for (var key = 0; key < 60; key++)
        {
            Assert.Equal(database.Rows[key], await a.Cache.GetOrLoadAsync(key));
        }

        for (var key = 0; key < 60; key++)
        {
            Assert.Equal(database.Rows[key], await b.Cache.GetOrLoadAsync(key)); // from the distributed level
        }

        Assert.Equal(60, database.Loads);

        await using var direct = await ConnectionMultiplexer.ConnectAsync(Redis);
        var masters = new HashSet<int>();
        for (var key = 0; key < 60; key++)
        {
            RedisKey redisKey = application + ":items:data:" + key.ToString(CultureInfo.InvariantCulture);
            Assert.True(await direct.GetDatabase().KeyExistsAsync(redisKey));
            masters.Add(await PrivateRedisCluster.MasterOfAsync(direct, redisKey));
        }

        Assert.Equal(fixture.Cluster.Ports.Order(), masters.Order());

        await a.Cache.SetAsync(5, "changed"); // write-through; b holds "v5" in memory
        var clock = Stopwatch.StartNew();
        string? seen;
        while (true)
        {
            seen = await b.Cache.GetOrLoadAsync(5);
            if (seen == "changed" || clock.ElapsedMilliseconds >= 100)
            {
                break;
            }

            await Task.Delay(1);
        }

        Assert.True(seen == "changed", $"b still served '{seen}' {clock.ElapsedMilliseconds} ms after a's write-through returned.");
    }

    [Fact]
    public async Task Remove_by_tag_works_with_the_tag_and_the_entries_in_different_slots()
    {
        var application = RedisInstance.NewApplication();
        var database = new SharedDatabase();
        await using var a = new RedisInstance(Redis, application, database, o => o.WriteStrategy = CacheWriteStrategy.CacheOnly);
        await using var b = new RedisInstance(Redis, application, database, o =>
        {
            o.WriteStrategy = CacheWriteStrategy.CacheOnly;
            o.Memory.Enabled = false; // every read goes to the cluster
        });
        for (var key = 0; key < 10; key++)
        {
            await a.Cache.SetAsync(key, "tagged", ["group"]);
        }

        Assert.Equal("tagged", (await b.Cache.TryGetAsync(7)).Value);
        await Task.Delay(5); // the removal time must be later than the entries' creation time (milliseconds)

        await a.Cache.RemoveByTagAsync("group");

        for (var key = 0; key < 10; key++)
        {
            Assert.False((await b.Cache.TryGetAsync(key)).Found);
        }
    }

    [Fact]
    public async Task The_cross_process_lock_lets_one_instance_load_a_cold_key()
    {
        var application = RedisInstance.NewApplication();
        var database = new SharedDatabase { LoadDelay = TimeSpan.FromMilliseconds(300) };
        database.Rows[1] = "v1";
        void Locked(CacheOptions o) => o.Loading.UseDistributedLock = true;
        await using var a = new RedisInstance(Redis, application, database, Locked);
        await using var b = new RedisInstance(Redis, application, database, Locked);
        await using var c = new RedisInstance(Redis, application, database, Locked);
        var errors = new[] { a, b, c }.Select(i => new MetricCollector<long>(i.Metrics.LevelErrors)).ToList();

        var values = await Task.WhenAll(
            a.Cache.GetOrLoadAsync(1).AsTask(),
            b.Cache.GetOrLoadAsync(1).AsTask(),
            c.Cache.GetOrLoadAsync(1).AsTask());

        Assert.All(values, v => Assert.Equal("v1", v));
        Assert.Equal(1, database.Loads);
        Assert.Empty(errors.SelectMany(e => e.GetMeasurementSnapshot())); // no failed lock, L2 or backplane call
        errors.ForEach(e => e.Dispose());
    }

    [Fact]
    public async Task The_durable_write_back_queue_is_flushed_by_another_instance_keeping_the_last_write_per_key()
    {
        var application = RedisInstance.NewApplication();
        var database = new SharedDatabase();
        static void Durable(CacheOptions o)
        {
            o.WriteStrategy = CacheWriteStrategy.WriteBack;
            o.WriteBack.Durable = true;
            o.WriteBack.BatchSize = 7;
            o.WriteBack.FlushInterval = TimeSpan.FromHours(1);
        }

        await using var writer = new RedisInstance(Redis, application, database, Durable);
        await using var flusher = new RedisInstance(Redis, application, database, Durable);
        for (var round = 0; round < 5; round++)
        {
            for (var key = 0; key < 20; key++)
            {
                await writer.Cache.SetAsync(key, $"r{round}k{key}");
            }
        }

        Assert.Empty(database.Rows);
        await using var direct = await ConnectionMultiplexer.ConnectAsync(Redis);
        var stream = application + ":items:writeback";
        Assert.Equal(100, await direct.GetDatabase().StreamLengthAsync(stream));

        await flusher.Cache.FlushAsync();

        Assert.Equal(20, database.Rows.Count);
        Assert.All(database.Rows, row => Assert.Equal($"r4k{row.Key}", row.Value));
        Assert.Equal(0, await direct.GetDatabase().StreamLengthAsync(stream));
        await direct.GetDatabase().KeyDeleteAsync(stream);
    }

    [Fact]
    public async Task User_keys_with_hash_tags_choose_only_their_own_slot_and_the_durable_queue_keeps_every_write()
    {
        var application = RedisInstance.NewApplication();
        var table = new StringTable();
        string[] keys = ["{writeback}", "{" + application + ":items:writeback}", "tag:{sale}", "lock:{x}", "{a}1", "{a}2", "}{", "{", "writeback"];
        static void Durable(CacheOptions o)
        {
            o.WriteStrategy = CacheWriteStrategy.WriteBack;
            o.WriteBack.Durable = true;
            o.WriteBack.FlushInterval = TimeSpan.FromHours(1);
        }

        await using var writer = new StringInstance(Redis, application, table, Durable);
        await using var flusher = new StringInstance(Redis, application, table, Durable);
        foreach (var key in keys)
        {
            await writer.Cache.SetAsync(key, "v:" + key);
        }

        await flusher.Cache.FlushAsync();

        Assert.All(keys, key => Assert.Equal("v:" + key, table.Rows[key]));
        foreach (var key in keys)
        {
            Assert.Equal("v:" + key, (await flusher.Cache.TryGetAsync(key)).Value);
        }

        await using var direct = await ConnectionMultiplexer.ConnectAsync(Redis);
        var stream = application + ":items:writeback";
        Assert.Equal(RedisType.Stream, await direct.GetDatabase().KeyTypeAsync(stream));
        Assert.Equal(0, await direct.GetDatabase().StreamLengthAsync(stream));
        Assert.Equal(direct.HashSlot(application + ":items:data:{a}1"), direct.HashSlot(application + ":items:data:{a}2")); // the user's own hash tag
        await direct.GetDatabase().KeyDeleteAsync(stream);
    }
}
