// The child process of the durable write-back crash test.
//   queue <redis> <application> <count>   queue <count> writes, take one batch and hang in the writer; print QUEUED; wait to be killed
//   write <redis> <application> <writers>  <writers> concurrent writers append new ids (group-committed batches) until
//                                           killed, printing ACK <id> once each SetAsync has returned
//   flush <redis> <application> <postgres> flush everything queued (taking over the dead process's batch); print FLUSHED <n>
using System.Globalization;
using DataPatterns.Caching;
using DataPatterns.Caching.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

var mode = args[0];
var redis = args[1];
var application = args[2];

var services = new ServiceCollection();
var caching = services.AddCaching(c => c.Configure(o => o.ApplicationName = application))
    .UseRedis(o =>
    {
        o.Configuration = redis;
        o.WriteBackClaimIdleTime = TimeSpan.FromMilliseconds(500);
    });
var cache = caching.AddCache<int, OrderRow>("orders", o =>
{
    o.WriteStrategy = CacheWriteStrategy.WriteBack;
    o.WriteBack.Durable = true;
    o.WriteBack.BatchSize = 500;
    o.WriteBack.FlushInterval = TimeSpan.FromHours(1); // only explicit flushes
    o.Memory.MaxEntries = 20_000;
    o.Distributed.Enabled = false; // the test is about the queue; fewer round trips per write
    o.UseBackplane = false;
});
if (mode is "queue" or "write")
{
    cache.WithWriter(_ => new HangingWriter());
}
else
{
    services.AddSingleton(_ => NpgsqlDataSource.Create(args[3]));
    cache.WithWriter(sp => new PostgresOrderWriter(sp.GetRequiredService<NpgsqlDataSource>()));
}

await using var provider = services.BuildServiceProvider();
var orders = provider.GetRequiredKeyedService<ICache<int, OrderRow>>("orders");

if (mode == "queue")
{
    var count = int.Parse(args[3], CultureInfo.InvariantCulture);
    for (var id = 1; id <= count; id++)
    {
        await orders.SetAsync(id, new OrderRow(id, $"customer-{id}", id * 1.25m));
    }

    _ = orders.FlushAsync().AsTask(); // takes the first batch into this consumer's pending list and hangs in the writer
    await HangingWriter.Entered.Task;
    Console.WriteLine("QUEUED");
    await Task.Delay(Timeout.Infinite);
}
else if (mode == "write")
{
    var next = 0;
    Console.WriteLine("WRITING");
    await Task.WhenAll(Enumerable.Range(0, int.Parse(args[3], CultureInfo.InvariantCulture)).Select(async _ =>
    {
        while (true)
        {
            var id = Interlocked.Increment(ref next);
            await orders.SetAsync(id, new OrderRow(id, $"customer-{id}", id * 1.25m));
            Console.WriteLine($"ACK {id}"); // only after the append (its whole batch) was acknowledged
        }
    }));
}
else
{
    var store = provider.GetRequiredService<IWriteBackStore>();
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (await store.GetLengthAsync("orders", CancellationToken.None) > 0)
    {
        if (DateTime.UtcNow > deadline)
        {
            Console.WriteLine("TIMEOUT");
            return 1;
        }

        await orders.FlushAsync(); // entries the killed process held are taken over once idle long enough
        await Task.Delay(100);
    }

    Console.WriteLine("FLUSHED");
}

return 0;
