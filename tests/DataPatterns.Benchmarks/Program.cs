using System.Globalization;
using BenchmarkDotNet.Running;
using DataPatterns.Benchmarks.Caching;

if (args is ["--paired-l2", .. var rest])
{
    // Not BenchmarkDotNet: the caching L2 overhead measured call by call against its baseline (see the class).
    await L2HitPairedMeasurement.RunAsync(rest is [var count] ? int.Parse(count, CultureInfo.InvariantCulture) : 30_000);
    return;
}

if (args is ["--durable-phases", var writers, .. var queue])
{
    // Not BenchmarkDotNet: where durable write-back's time goes (see the class).
    await DurableWriteBackPhases.CacheAsync(int.Parse(writers, CultureInfo.InvariantCulture), durable: queue is not ["memory"]);
    return;
}

if (args is ["--durable-appends", var appenders, var kind])
{
    await DurableWriteBackPhases.AppenderAsync(int.Parse(appenders, CultureInfo.InvariantCulture), batch: kind != "xadd");
    return;
}

// Each benchmark class sits in the folder of its pattern (Sharding/, Caching/, ...); --filter picks them.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
