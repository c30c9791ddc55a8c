using System.Globalization;
using DataPatterns.Testing;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Npgsql;

namespace DataPatterns.Caching.Redis.Tests;

public class DurableWriteBackTests
{
    private const int Writes = 10_000;

    [Fact]
    public async Task Writes_queued_by_a_process_killed_before_flushing_are_flushed_by_a_new_process_exactly()
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "caching_writeback");
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, total numeric NOT NULL)", connection);
            await create.ExecuteNonQueryAsync();
        }

        var application = RedisInstance.NewApplication();
        var stream = application + ":orders:writeback";
        try
        {
            await using (var queue = ChildProcess.StartDotnet("DataPatterns.Caching.TestHost.dll", ["queue", RedisInstance.SharedRedis, application, Writes.ToString(CultureInfo.InvariantCulture)]))
            {
                await queue.WaitForLineAsync("QUEUED", TimeSpan.FromSeconds(60));
                await queue.KillAsync(); // kill -9 with a batch taken and unacknowledged, the rest not flushed
            }

            Assert.Equal(0L, await CountAsync(database));
            Assert.Equal(Writes, await redis.GetDatabase().StreamLengthAsync(stream));
            var pending = await redis.GetDatabase().StreamPendingAsync(stream, "flushers");
            Assert.True(pending.PendingMessageCount > 0, "the killed process held a batch it had not acknowledged");

            await using (var flusher = ChildProcess.StartDotnet("DataPatterns.Caching.TestHost.dll", ["flush", RedisInstance.SharedRedis, application, database.ConnectionString]))
            {
                await flusher.WaitForLineAsync("FLUSHED", TimeSpan.FromSeconds(60));
                Assert.Equal(0, await flusher.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            }

            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var select = new NpgsqlCommand("SELECT id, customer, total FROM orders ORDER BY id", connection);
            await using var reader = await select.ExecuteReaderAsync();
            var expected = 1;
            while (await reader.ReadAsync())
            {
                Assert.Equal(expected, reader.GetInt32(0));
                Assert.Equal($"customer-{expected}", reader.GetString(1));
                Assert.Equal(expected * 1.25m, reader.GetDecimal(2));
                expected++;
            }

            Assert.Equal(Writes + 1, expected);
            Assert.Equal(0, await redis.GetDatabase().StreamLengthAsync(stream));
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync(stream);
        }
    }

    [Fact]
    public async Task Every_write_acknowledged_by_a_process_killed_while_sixteen_writers_append_in_batches_is_flushed_after_the_restart()
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "caching_writeback_batches");
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, total numeric NOT NULL)", connection);
            await create.ExecuteNonQueryAsync();
        }

        var application = RedisInstance.NewApplication();
        var stream = application + ":orders:writeback";
        var acknowledged = new HashSet<int>();
        try
        {
            await using (var writer = ChildProcess.StartDotnet("DataPatterns.Caching.TestHost.dll", ["write", RedisInstance.SharedRedis, application, "16"]))
            {
                await writer.WaitForLineAsync("WRITING", TimeSpan.FromSeconds(60));
                while (acknowledged.Count < 2_000)
                {
                    acknowledged.Add(AckedId(await writer.WaitForLineAsync("ACK ", TimeSpan.FromSeconds(60))));
                }

                await writer.KillAsync(); // kill -9 with batches in flight and callers waiting for them

                // Every acknowledgement it printed before it died counts, not only those read so far.
                try
                {
                    while (true)
                    {
                        acknowledged.Add(AckedId(await writer.WaitForLineAsync("ACK ", TimeSpan.FromSeconds(5))));
                    }
                }
                catch (TimeoutException)
                {
                }
            }

            var queued = await redis.GetDatabase().StreamLengthAsync(stream);
            Assert.True(queued >= acknowledged.Count, $"{queued} entries in the stream, {acknowledged.Count} writes acknowledged");

            await using (var flusher = ChildProcess.StartDotnet("DataPatterns.Caching.TestHost.dll", ["flush", RedisInstance.SharedRedis, application, database.ConnectionString]))
            {
                await flusher.WaitForLineAsync("FLUSHED", TimeSpan.FromSeconds(60));
                Assert.Equal(0, await flusher.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            }

            var rows = new Dictionary<int, (string Customer, decimal Total)>();
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var select = new NpgsqlCommand("SELECT id, customer, total FROM orders", connection);
            await using (var reader = await select.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows[reader.GetInt32(0)] = (reader.GetString(1), reader.GetDecimal(2));
                }
            }

            var missing = acknowledged.Where(id => !rows.ContainsKey(id)).ToList();
            Assert.True(missing.Count == 0, $"acknowledged but not flushed: {string.Join(", ", missing.Take(20))}");
            Assert.All(acknowledged, id => Assert.Equal(($"customer-{id}", id * 1.25m), rows[id]));
            Assert.Equal(queued, rows.Count); // each entry once: one row per id, nothing else
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync(stream);
        }

        static int AckedId(string line) => int.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Another_instance_flushes_the_durable_queue_keeping_the_last_write_per_key()
    {
        var application = RedisInstance.NewApplication();
        var database = new SharedDatabase();
        static void Durable(CacheOptions o)
        {
            o.WriteStrategy = CacheWriteStrategy.WriteBack;
            o.WriteBack.Durable = true;
            o.WriteBack.FlushInterval = TimeSpan.FromHours(1);
        }

        await using var writer = new RedisInstance(RedisInstance.SharedRedis, application, database, Durable);
        await using var flusher = new RedisInstance(RedisInstance.SharedRedis, application, database, Durable);
        for (var round = 0; round < 5; round++)
        {
            for (var key = 0; key < 20; key++)
            {
                await writer.Cache.SetAsync(key, $"r{round}k{key}");
            }
        }

        Assert.Empty(database.Rows);
        await flusher.Cache.FlushAsync();

        Assert.Equal(20, database.Rows.Count);
        Assert.All(database.Rows, row => Assert.Equal($"r4k{row.Key}", row.Value));
        await using var redis = await ServerConnections.ConnectRedisAsync();
        Assert.Equal(0, await redis.GetDatabase().StreamLengthAsync(application + ":items:writeback"));
        await redis.GetDatabase().KeyDeleteAsync(application + ":items:writeback");
    }

    [Fact]
    public async Task The_queue_depth_gauge_follows_the_durable_stream()
    {
        var application = RedisInstance.NewApplication();
        var database = new SharedDatabase();
        static void Durable(CacheOptions o)
        {
            o.WriteStrategy = CacheWriteStrategy.WriteBack;
            o.WriteBack.Durable = true;
            o.WriteBack.FlushInterval = TimeSpan.FromHours(1);
        }

        await using var writer = new RedisInstance(RedisInstance.SharedRedis, application, database, Durable);
        await using var other = new RedisInstance(RedisInstance.SharedRedis, application, database, Durable);
        using var writerDepth = new MetricCollector<long>(writer.Metrics.WriteBackQueueDepth);
        using var otherDepth = new MetricCollector<long>(other.Metrics.WriteBackQueueDepth);
        try
        {
            for (var key = 0; key < 30; key++)
            {
                await writer.Cache.SetAsync(key, "v" + key.ToString(CultureInfo.InvariantCulture));
            }

            Assert.Equal(30, Observe(writerDepth));
            Assert.Equal(0, Observe(otherDepth)); // it has not read the stream yet

            await other.Cache.FlushAsync(); // reads the stream's length, flushes it all

            Assert.Equal(0, Observe(otherDepth));
            Assert.Equal(30, database.Rows.Count);
            await writer.Cache.SetAsync(100, "late");
            await writer.Cache.FlushAsync(); // the writer reads the stream again: what the other instance flushed is gone
            Assert.Equal(0, Observe(writerDepth));
        }
        finally
        {
            await using var redis = await ServerConnections.ConnectRedisAsync();
            await redis.GetDatabase().KeyDeleteAsync(application + ":items:writeback");
        }

        static long Observe(MetricCollector<long> collector)
        {
            collector.RecordObservableInstruments();
            return collector.LastMeasurement!.Value;
        }
    }

    private static async Task<long> CountAsync(TemporaryDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM orders", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
