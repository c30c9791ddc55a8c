using System.Diagnostics;
using System.Globalization;
using DataPatterns.Testing;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>
/// Redis stalling or dying while a get-or-load waits for it: the request is bounded by Distributed.Timeout, answered
/// from memory or the loader with the right value, and the failure shows in datapatterns.cache.level.errors.
/// Each test uses a private Redis of its own.
/// </summary>
[Collection(PrivateServers.Name)]
public class RedisMidCallFailureTests
{
    private static readonly TimeSpan LevelTimeout = TimeSpan.FromMilliseconds(500);

    private static void Bounded(CacheOptions o) => o.Distributed.Timeout = LevelTimeout;

    [Fact]
    public async Task A_paused_Redis_delays_a_load_by_the_level_timeout_only_and_memory_hits_not_at_all()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        database.Rows[2] = "v2";
        await using var instance = new RedisInstance(redis.ConnectionString, RedisInstance.NewApplication(), database, Bounded);
        using var errors = new MetricCollector<long>(instance.Metrics.LevelErrors);
        Assert.Equal("v1", await instance.Cache.GetOrLoadAsync(1)); // in memory and in Redis

        await RedisCliAsync(redis.Port, "CLIENT", "PAUSE", "6000", "ALL"); // every command waits 6 s
        var clock = Stopwatch.StartNew();

        Assert.Equal("v1", await instance.Cache.GetOrLoadAsync(1));
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(100), $"a memory hit took {clock.Elapsed} with Redis paused");

        clock.Restart();
        Assert.Equal("v2", await instance.Cache.GetOrLoadAsync(2)); // the GET stalls, is abandoned, the loader answers
        var loadTook = clock.Elapsed;

        // One bounded GET (<= 1.1 x timeout) and one bounded SET of the loaded value: well before the pause ends.
        Assert.True(loadTook < TimeSpan.FromSeconds(2.5), $"the load took {loadTook} with a {LevelTimeout} level timeout");
        Assert.True(loadTook >= LevelTimeout * 0.9, $"the load took {loadTook}: the GET should have been waited for up to the timeout");
        Assert.Contains(errors.GetMeasurementSnapshot(), m => (string?)m.Tags["datapatterns.cache.level"] == "l2" && (string?)m.Tags["error.type"] == typeof(TimeoutException).FullName);
        Assert.Equal(2, database.Loads); // keys 1 and 2, once each

        await RedisCliAsync(redis.Port, "CLIENT", "UNPAUSE"); // the abandoned commands run now
        await using var fresh = new RedisInstance(redis.ConnectionString, instance.Application, database, Bounded);
        Assert.Equal("v1", await fresh.Cache.GetOrLoadAsync(1));
        Assert.Equal("v2", await fresh.Cache.GetOrLoadAsync(2));
    }

    [Fact]
    public async Task Disposing_a_cache_whose_Redis_is_paused_does_not_throw()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        var instance = new RedisInstance(redis.ConnectionString, RedisInstance.NewApplication(), database, Bounded);
        Assert.Equal("v1", await instance.Cache.GetOrLoadAsync(1)); // connected and subscribed
        await RedisCliAsync(redis.Port, "CLIENT", "PAUSE", "5000", "ALL");
        try
        {
            await instance.DisposeAsync(); // the backplane's UNSUBSCRIBE times out: disposal goes on
        }
        finally
        {
            await RedisCliAsync(redis.Port, "CLIENT", "UNPAUSE");
        }

        Assert.Equal(1, database.Loads);
    }

    [Fact]
    public async Task With_the_package_defaults_a_paused_Redis_is_bounded_by_the_clients_own_timeout_within_the_level_timeout()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        await using var instance = new RedisInstance(
            redis.ConnectionString,
            RedisInstance.NewApplication(),
            database,
            o =>
            {
                o.Distributed.Timeout = new DistributedLevelOptions().Timeout; // the defaults: 1 s here, CommandTimeout 1 s in Redis
                o.Memory.Enabled = false;
            },
            redisOptions: ",connectRetry=1");
        using var errors = new MetricCollector<long>(instance.Metrics.LevelErrors);
        Assert.Equal("v1", await instance.Cache.GetOrLoadAsync(1)); // connected, and the value in Redis
        database.Rows[1] = "v1-changed";

        await RedisCliAsync(redis.Port, "CLIENT", "PAUSE", "8000", "ALL");
        var clock = Stopwatch.StartNew();
        Assert.Equal("v1-changed", await instance.Cache.GetOrLoadAsync(1)); // the GET times out, the loader answers
        var took = clock.Elapsed;

        // The GET was failed by StackExchange.Redis (asyncTimeout 1 s, checked every 100 ms), not by a timer of the cache's,
        // and no later than the cache's own timeout would have failed it; then one bounded SET of the loaded value.
        var timeouts = errors.GetMeasurementSnapshot().Where(m => (string?)m.Tags["datapatterns.cache.level"] == "l2").ToList();
        Assert.NotEmpty(timeouts);
        Assert.Equal(typeof(StackExchange.Redis.RedisTimeoutException).FullName, (string?)timeouts[0].Tags["error.type"]);
        Assert.True(took >= TimeSpan.FromSeconds(0.9), $"the load took {took}: the GET should have been waited for up to the timeout");
        Assert.True(took < TimeSpan.FromSeconds(3.5), $"the load took {took}: a GET and a SET, each bounded by 1.1 s");
        await RedisCliAsync(redis.Port, "CLIENT", "UNPAUSE");
    }

    [Fact]
    public async Task Redis_killed_with_a_read_in_flight_fails_that_read_fast_and_the_loader_answers_with_the_right_value()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        await using var instance = new RedisInstance(redis.ConnectionString, RedisInstance.NewApplication(), database, o =>
        {
            o.Distributed.Timeout = TimeSpan.FromSeconds(5); // long: the kill, not the timeout, must end the read
            o.Memory.Enabled = false;
        });
        using var errors = new MetricCollector<long>(instance.Metrics.LevelErrors);
        Assert.Equal("v1", await instance.Cache.GetOrLoadAsync(1)); // now in Redis
        Assert.Equal("v1", await instance.Cache.GetOrLoadAsync(1));
        Assert.Equal(1, database.Loads);
        database.Rows[1] = "v1-changed-in-the-database";

        await RedisCliAsync(redis.Port, "CLIENT", "PAUSE", "20000", "ALL");
        var clock = Stopwatch.StartNew();
        var inFlight = instance.Cache.GetOrLoadAsync(1).AsTask();
        await Task.Delay(200);
        Assert.False(inFlight.IsCompleted, "the GET waits for the paused server");

        await redis.KillAsync(); // kill -9 with the GET in flight

        var value = await inFlight.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the read took {clock.Elapsed}; the kill should have failed it at once");
        Assert.Equal("v1-changed-in-the-database", value); // the loader's value, never a half-read or foreign one
        Assert.Equal(2, database.Loads);
        Assert.Contains(errors.GetMeasurementSnapshot(), m => (string?)m.Tags["datapatterns.cache.level"] == "l2");

        clock.Restart();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("v1-changed-in-the-database", await instance.Cache.GetOrLoadAsync(1)); // Redis gone: the loader each time
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"20 reads with Redis gone took {clock.Elapsed}: commands should fail fast");
    }

    [Fact]
    public async Task When_the_primary_dies_and_a_replica_takes_over_no_instance_keeps_serving_the_value_a_failed_write_left_behind()
    {
        await using var primary = await PrivateRedis.StartNewAsync();
        await using var replica = await PrivateRedis.StartNewAsync();
        await RedisCliAsync(replica.Port, "REPLICAOF", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture));
        await WaitForAsync(replica.Port, ["INFO", "replication"], reply => reply.Contains("master_link_status:up", StringComparison.Ordinal));
        var endpoints = $"127.0.0.1:{primary.Port},127.0.0.1:{replica.Port},configCheckSeconds=1";
        var application = RedisInstance.NewApplication();
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        await using var a = new RedisInstance(endpoints, application, database, Bounded);
        await using var b = new RedisInstance(endpoints, application, database, o =>
        {
            Bounded(o);
            o.Memory.Enabled = false; // b reads L2 every time: it sees whatever the failover left there
        });
        using var errors = new MetricCollector<long>(a.Metrics.LevelErrors);
        using var repairs = new MetricCollector<long>(a.Metrics.Repairs);
        Assert.Equal("v1", await a.Cache.GetOrLoadAsync(1));
        await WaitForAsync(replica.Port, ["EXISTS", application + ":items:data:1"], reply => reply == "1"); // replicated
        Assert.Equal("v1", await b.Cache.GetOrLoadAsync(1));

        await primary.KillAsync(); // kill -9: the replica still holds "v1"
        var clock = Stopwatch.StartNew();
        await a.Cache.SetAsync(1, "v2"); // write-through: the database takes it, L2 cannot
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the write took {clock.Elapsed} with the primary gone");
        Assert.Equal("v2", database.Rows[1]);
        Assert.Equal("v2", await a.Cache.GetOrLoadAsync(1));
        Assert.Contains(errors.GetMeasurementSnapshot(), m => (string?)m.Tags["datapatterns.cache.level"] == "l2");

        await RedisCliAsync(replica.Port, "REPLICAOF", "NO", "ONE"); // the failover

        var next = 100;
        await BackplaneTests.WaitUntilAsync(
            async () =>
            {
                Assert.Equal("v2", await a.Cache.GetOrLoadAsync(1)); // a never goes back to the old value
                database.Rows[next] = "x";
                await a.Cache.GetOrLoadAsync(next++); // ordinary traffic: once a write reaches the new primary, the repair runs

                // b may also answer "v2" from the loader while its own L2 read fails during the failover: only the
                // repair having run, and b reading "v2" after it, ends the wait.
                return repairs.GetMeasurementSnapshot().Sum(m => m.Value) >= 1 && await b.Cache.GetOrLoadAsync(1) == "v2";
            },
            seconds: 60);
        Assert.Equal(1, repairs.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    private static async Task WaitForAsync(int port, string[] command, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var startInfo = new ProcessStartInfo("redis-cli") { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (var argument in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) }.Concat(command))
            {
                startInfo.ArgumentList.Add(argument);
            }

            using var process = Process.Start(startInfo)!;
            var output = (await process.StandardOutput.ReadToEndAsync()).Trim();
            await process.WaitForExitAsync();
            if (done(output))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"redis-cli {string.Join(' ', command)} on {port} still answered: {output}");
            await Task.Delay(50);
        }
    }

    internal static async Task RedisCliAsync(int port, params string[] command)
    {
        var startInfo = new ProcessStartInfo("redis-cli") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) }.Concat(command))
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 && !output.StartsWith("ERR", StringComparison.Ordinal), $"redis-cli {string.Join(' ', command)}: {output}");
    }
}
