using System.Diagnostics;
using System.Globalization;
using DataPatterns.Caching;
using DataPatterns.Caching.Redis;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace DataPatterns.Benchmarks.Caching;

/// <summary>
/// Not BenchmarkDotNet: where durable write-back's time goes, four rounds of 10,000 writes by N writers on the shared
/// Redis (DATAPATTERNS_REDIS), printing wall time, the process's CPU time and bytes allocated per write.
/// <c>-- --durable-phases 16</c>: <c>SetAsync</c> on a durable cache whose writer does nothing, then the flush, with
/// Redis's own command counts and times (INFO commandstats); add <c>memory</c> for the memory queue.
/// <c>-- --durable-appends 16 batch</c>: the appender alone (group commit, no cache around it); <c>xadd</c>: plain
/// pipelined XADDs, the floor of the client's cost per append.
/// </summary>
internal static class DurableWriteBackPhases
{
    private const int Writes = 10_000;

    private static string Redis => Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") is { Length: > 0 } redis ? redis : "127.0.0.1:56379";

    public static async Task CacheAsync(int writers, bool durable)
    {
        var services = new ServiceCollection();
        services.AddCaching(c => c.Configure(o => o.ApplicationName = "phases-" + Guid.NewGuid().ToString("N")[..8]))
            .UseRedis(Redis)
            .AddCache<int, BenchProduct>("products", o =>
            {
                o.WriteStrategy = CacheWriteStrategy.WriteBack;
                o.WriteBack.Durable = durable;
                o.WriteBack.BatchSize = 1_000;
                o.WriteBack.FlushInterval = TimeSpan.FromHours(1);
                o.Distributed.Enabled = false;
                o.UseBackplane = false;
            })
            .WithWriter(_ => new NothingWriter());
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredKeyedService<ICache<int, BenchProduct>>("products");
        await using var admin = await ConnectionMultiplexer.ConnectAsync(Redis + ",allowAdmin=true");
        var server = admin.GetServers()[0];
        for (var round = 0; round < 4; round++)
        {
            await server.ExecuteAsync("CONFIG", "RESETSTAT");
            var appends = await MeasureAsync(writers, i => cache.SetAsync(i % 1_000, new BenchProduct(i % 1_000, "product", i)).AsTask());
            var stats = (string)(await server.ExecuteAsync("INFO", "commandstats"))!;
            var flush = await MeasureAsync(1, _ => cache.FlushAsync().AsTask(), 1);
            Console.WriteLine($"{(durable ? "durable" : "memory")}, {writers} writers, round {round}: appends {appends}; flush {flush}");
            Console.WriteLine("  redis: " + string.Join(" | ", stats.Split('\n').Where(l => l.StartsWith("cmdstat_evalsha", StringComparison.Ordinal) || l.StartsWith("cmdstat_xadd", StringComparison.Ordinal)).Select(l => l.Trim())));
        }
    }

    public static async Task AppenderAsync(int writers, bool batch)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var appender = new RedisWriteBackAppender(new RedisWriteBackDurabilityOptions(), TimeProvider.System);
        RedisKey stream = "phases:" + Guid.NewGuid().ToString("N");
        var key = "key"u8.ToArray();
        var value = new byte[60];
        for (var round = 0; round < 4; round++)
        {
            var batches = appender.Batches;
            var result = await MeasureAsync(writers, _ => batch
                ? appender.AppendAsync(redis, stream, key, value, CancellationToken.None)
                : redis.GetDatabase().StreamAddAsync(stream, [new NameValueEntry("k", key), new NameValueEntry("v", value)]));
            Console.WriteLine($"{(batch ? "appender" : "plain XADD")}, {writers} writers, round {round}: {result}, {appender.Batches - batches} script calls");
        }

        await redis.GetDatabase().KeyDeleteAsync(stream);
    }

    private static async Task<string> MeasureAsync(int writers, Func<int, Task> write, int count = Writes)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(true);
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await write(i);
            }
        }));
        clock.Stop();
        process.Refresh();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{clock.Elapsed.TotalMilliseconds:F0} ms, CPU {(process.TotalProcessorTime - cpu).TotalMilliseconds:F0} ms, {(GC.GetTotalAllocatedBytes(true) - allocated) / count} B per call");
    }

    private sealed class NothingWriter : ICacheWriter<int, BenchProduct>
    {
        public ValueTask WriteAsync(int key, BenchProduct value, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
