using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

/// <summary>The package's one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named "DataPatterns.Sharding".</summary>
public static class ShardingTelemetry
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "DataPatterns.Sharding";

    internal static readonly ActivitySource ActivitySource = new(Name);
    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Resolutions = Meter.CreateCounter<long>(
        "datapatterns.sharding.resolutions", unit: "{resolution}", description: "Keys resolved to a shard, per shard set and shard.");

    private static readonly Histogram<double> ShardQueryDuration = Meter.CreateHistogram<double>(
        "datapatterns.sharding.scatter_gather.shard.duration", unit: "s", description: "Time each shard took to answer its part of a scatter-gather query.");

    private static readonly Counter<long> ShardQueryFailures = Meter.CreateCounter<long>(
        "datapatterns.sharding.scatter_gather.shard.failures", unit: "{failure}", description: "Shards that failed or timed out in a scatter-gather query.");

    private static readonly Counter<long> RowsMoved = Meter.CreateCounter<long>(
        "datapatterns.sharding.resharding.rows_copied", unit: "{row}", description: "Rows copied between shards by the resharding helper.");

    // Checked first so an unobserved resolver pays one field read, not a tag list.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void RecordResolution(string shardSet, Shard shard)
    {
        if (Resolutions.Enabled)
        {
            Resolutions.Add(1, new KeyValuePair<string, object?>("datapatterns.sharding.shard_set", shardSet), new KeyValuePair<string, object?>("datapatterns.sharding.shard", shard.Name));
        }
    }

    internal static void RecordShardQuery(string shardSet, Shard shard, TimeSpan elapsed, bool failed)
    {
        var set = new KeyValuePair<string, object?>("datapatterns.sharding.shard_set", shardSet);
        var name = new KeyValuePair<string, object?>("datapatterns.sharding.shard", shard.Name);
        ShardQueryDuration.Record(elapsed.TotalSeconds, set, name);
        if (failed)
        {
            ShardQueryFailures.Add(1, set, name);
        }
    }

    internal static void RecordRowsCopied(string table, Shard from, Shard to, long rows) =>
        RowsMoved.Add(rows, new KeyValuePair<string, object?>("datapatterns.sharding.table", table), new KeyValuePair<string, object?>("from", from.Name), new KeyValuePair<string, object?>("datapatterns.sharding.to", to.Name));
}
