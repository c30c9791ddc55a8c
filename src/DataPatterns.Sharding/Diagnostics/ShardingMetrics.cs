using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using DataPatterns.Diagnostics;

namespace DataPatterns.Sharding;

/// <summary>
/// The package's instruments on its one <see cref="Meter"/>: one object per meter factory (<see cref="For"/>), and a
/// process-wide one for resolvers, maps and movers built by hand. Sharding has no observable instruments, so objects
/// built by hand can share one meter without reporting each other's state.
/// </summary>
internal sealed class ShardingMetrics
{
    public const string ShardSetTag = "datapatterns.sharding.shard_set";
    public const string ShardTag = "datapatterns.sharding.shard";

    public static readonly ActivitySource ActivitySource = new(ShardingTelemetry.Name);

    public static readonly ShardingMetrics Default = new(new Meter(ShardingTelemetry.Name));

    private ShardingMetrics(Meter meter)
    {
        Resolutions = meter.CreateCounter<long>(
            "datapatterns.sharding.resolutions", unit: "{resolution}", description: "Keys resolved to a shard, per shard set and shard.");
        ShardQueryDuration = meter.CreateHistogram<double>(
            "datapatterns.sharding.scatter_gather.shard.duration", unit: "s", description: "Time each shard took to answer its part of a scatter-gather query.");
        ShardQueryFailures = meter.CreateCounter<long>(
            "datapatterns.sharding.scatter_gather.shard.failures", unit: "{failure}", description: "Shards that failed or timed out in a scatter-gather query.");
        RowsCopied = meter.CreateCounter<long>(
            "datapatterns.sharding.resharding.rows_copied", unit: "{row}", description: "Rows copied between shards by the resharding helper.");
    }

    public Counter<long> Resolutions { get; }

    private Histogram<double> ShardQueryDuration { get; }

    private Counter<long> ShardQueryFailures { get; }

    private Counter<long> RowsCopied { get; }

    /// <summary>The metrics of objects built from <paramref name="meterFactory"/>; <see cref="Default"/> when it is null.</summary>
    public static ShardingMetrics For(IMeterFactory? meterFactory) => meterFactory is null
        ? Default
        : PerMeterFactory<ShardingMetrics>.Get(meterFactory, static factory => new ShardingMetrics(factory.Create(ShardingTelemetry.Name)));

    // Resolvers check Resolutions.Enabled first (see ShardResolver.RecordResolution), so an unobserved resolver pays one
    // field read, not a tag list.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void RecordResolution(string shardSet, Shard shard) =>
        Resolutions.Add(1, new KeyValuePair<string, object?>(ShardSetTag, shardSet), new KeyValuePair<string, object?>(ShardTag, shard.Name));

    public void RecordShardQuery(string shardSet, Shard shard, TimeSpan elapsed, bool failed)
    {
        var set = new KeyValuePair<string, object?>(ShardSetTag, shardSet);
        var name = new KeyValuePair<string, object?>(ShardTag, shard.Name);
        ShardQueryDuration.Record(elapsed.TotalSeconds, set, name);
        if (failed)
        {
            ShardQueryFailures.Add(1, set, name);
        }
    }

    public void RecordRowsCopied(string table, Shard from, Shard to, long rows) =>
        RowsCopied.Add(rows, new KeyValuePair<string, object?>("datapatterns.sharding.table", table), new KeyValuePair<string, object?>("datapatterns.sharding.from", from.Name), new KeyValuePair<string, object?>("datapatterns.sharding.to", to.Name));
}
