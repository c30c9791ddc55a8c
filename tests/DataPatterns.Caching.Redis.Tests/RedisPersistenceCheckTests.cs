using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataPatterns.Caching.Redis.Tests;

[Collection(PrivateServers.Name)]
public class RedisPersistenceCheckTests
{
    private static readonly string[] AlwaysSynced = ["--appendonly", "yes", "--appendfsync", "always"];

    [Fact]
    public async Task A_durable_cache_on_a_Redis_that_persists_nothing_warns_at_start_naming_the_setting_and_the_risk()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        await using var instance = new DurabilityInstance(redis.ConnectionString, RedisInstance.NewApplication(), new VersionedRows());
        _ = instance.Cache;

        await instance.StartingAsync();

        var warning = Assert.Single(instance.Log.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.True(warning.Exception is null, warning.Exception?.ToString());
        Assert.Contains("appendonly no", warning.Message, StringComparison.Ordinal);
        Assert.Contains("a restart loses every durable write-back entry still queued", warning.Message, StringComparison.Ordinal);
        Assert.Contains("WriteBackDurability.Persistence = Refuse", warning.Message, StringComparison.Ordinal);
        await instance.Cache.SetAsync(1, "a"); // Warn starts and acknowledges
    }

    [Fact]
    public async Task Refuse_stops_the_start_on_a_Redis_that_persists_nothing_naming_the_option_and_the_server_setting()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        await using var instance = new DurabilityInstance(
            redis.ConnectionString, RedisInstance.NewApplication(), new VersionedRows(), d => d.Persistence = RedisPersistenceRequirement.Refuse);
        _ = instance.Cache;

        var refused = await Assert.ThrowsAsync<RedisWriteBackDurabilityException>(instance.StartingAsync);

        Assert.Contains("appendonly yes and appendfsync always", refused.Message, StringComparison.Ordinal);
        Assert.Contains("WriteBackDurability.Persistence", refused.Message, StringComparison.Ordinal);
        Assert.Contains(redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Message, StringComparison.Ordinal);
        var write = await Assert.ThrowsAsync<WriteBackUnavailableException>(() => instance.Cache.SetAsync(1, "a").AsTask());
        Assert.IsType<RedisWriteBackDurabilityException>(write.InnerException); // no write is acknowledged either
    }

    [Fact]
    public async Task A_Redis_with_appendfsync_always_starts_a_refusing_cache_without_a_warning()
    {
        await using var redis = await PrivateRedis.StartNewAsync(AlwaysSynced);
        await using var instance = new DurabilityInstance(
            redis.ConnectionString, RedisInstance.NewApplication(), new VersionedRows(), d => d.Persistence = RedisPersistenceRequirement.Refuse);
        _ = instance.Cache;

        await instance.StartingAsync();

        Assert.DoesNotContain(instance.Log.GetSnapshot(), r => r.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Appendfsync_everysec_is_a_warning_that_names_the_second_at_risk()
    {
        await using var redis = await PrivateRedis.StartNewAsync(["--appendonly", "yes", "--appendfsync", "everysec"]);
        await using var instance = new DurabilityInstance(redis.ConnectionString, RedisInstance.NewApplication(), new VersionedRows());
        _ = instance.Cache;

        await instance.StartingAsync();

        var warning = Assert.Single(instance.Log.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("appendfsync everysec", warning.Message, StringComparison.Ordinal);
        Assert.Contains("up to about a second", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_master_of_a_Redis_Cluster_is_checked()
    {
        await using var cluster = await PrivateRedisCluster.StartNewAsync();
        await using var instance = new DurabilityInstance(
            cluster.ConnectionString, RedisInstance.NewApplication(), new VersionedRows(), d => d.Persistence = RedisPersistenceRequirement.Refuse);
        _ = instance.Cache;

        var refused = await Assert.ThrowsAsync<RedisWriteBackDurabilityException>(instance.StartingAsync);

        foreach (var port in cluster.Ports)
        {
            Assert.Contains(":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(-1, 500, "WriteBackDurability.RequiredReplicas must be 0")]
    [InlineData(1, 0, "WriteBackDurability.ReplicaTimeout must be positive")]
    [InlineData(1, -5, "WriteBackDurability.ReplicaTimeout must be positive")]
    [InlineData(1, 5000, "must be shorter than CommandTimeout")]
    public void Bad_replica_settings_are_refused_at_start_with_the_setting_named(int replicas, int timeoutMs, string expected)
    {
        using var provider = new ServiceCollection()
            .AddCaching()
            .UseRedis(o =>
            {
                o.Configuration = "127.0.0.1:1";
                o.WriteBackDurability.RequiredReplicas = replicas;
                o.WriteBackDurability.ReplicaTimeout = TimeSpan.FromMilliseconds(timeoutMs);
            })
            .Services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisCachingOptions>>().Value);

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_required_replicas_than_the_master_has_is_refused_at_start()
    {
        await using var redis = await PrivateRedis.StartNewAsync(AlwaysSynced);
        await using var replica = await PrivateRedis.StartReplicaAsync(redis);
        await using var instance = new DurabilityInstance(
            redis.ConnectionString, RedisInstance.NewApplication(), new VersionedRows(), d => d.RequiredReplicas = 2);
        _ = instance.Cache;

        var refused = await Assert.ThrowsAsync<RedisWriteBackDurabilityException>(instance.StartingAsync);

        Assert.Contains("RequiredReplicas is 2", refused.Message, StringComparison.Ordinal);
        Assert.Contains("has 1 connected replicas", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Waiting_for_the_append_only_file_is_refused_at_start_on_a_server_older_than_7_2()
    {
        await using var redis = await PrivateRedis.StartNewAsync(AlwaysSynced);
        await using var instance = new DurabilityInstance(
            redis.ConnectionString, RedisInstance.NewApplication(), new VersionedRows(), d => d.WaitForAppendOnlyFile = true);
        _ = instance.Cache;
        var version = (await redis.InfoAsync("server")).Split('\n').Single(l => l.StartsWith("redis_version:", StringComparison.Ordinal));
        Assert.True(Version.Parse(version["redis_version:".Length..].Trim()) < new Version(7, 2), "this test is for the Redis 7.0 of eng/services.sh");

        var refused = await Assert.ThrowsAsync<RedisWriteBackDurabilityException>(instance.StartingAsync);

        Assert.Contains("WaitForAppendOnlyFile needs WAITAOF (Redis 7.2 or later)", refused.Message, StringComparison.Ordinal);
    }
}
