// The projector in its own process: runs the "accounts" projection until killed.
//   args: <connection string> <batch size> <hang at batch n (0 = never)>
// Prints "BATCH n" after each batch's writes are sent (inside the open transaction) and "MIDBATCH n" when it stops
// inside batch n with its writes sent but not committed, so the parent can kill -9 it there.
using System.Globalization;
using DataPatterns.Cqrs;
using DataPatterns.Cqrs.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var connectionString = args[0];
var batchSize = int.Parse(args[1], CultureInfo.InvariantCulture);
var hangAt = int.Parse(args[2], CultureInfo.InvariantCulture);
var batches = 0;

var projection = new AccountsProjection(afterEachBatch: async (context, ct) =>
{
    var n = Interlocked.Increment(ref batches);
    Console.WriteLine($"BATCH {n}");
    if (n == hangAt)
    {
        Console.WriteLine($"MIDBATCH {n}");
        await Task.Delay(Timeout.Infinite, ct);
    }
});

var services = new ServiceCollection();
services.AddLogging();
services.AddCqrs(cqrs => cqrs
        .AddProjection(projection)
        .ConfigureRunner(o =>
        {
            o.BatchSize = batchSize;
            o.LeaseDuration = TimeSpan.FromSeconds(1);
            o.LeaseRetryInterval = TimeSpan.FromMilliseconds(100);
            o.InstanceId = "testhost-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        }))
    .UseNpgsql(o => o.ConnectionString = connectionString);

await using var provider = services.BuildServiceProvider();
var hosted = provider.GetServices<IHostedService>().ToList();
foreach (var service in hosted)
{
    await service.StartAsync(CancellationToken.None);
}

Console.WriteLine("STARTED");
await Task.Delay(Timeout.Infinite);
