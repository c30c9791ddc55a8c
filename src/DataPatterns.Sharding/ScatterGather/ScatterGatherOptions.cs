namespace DataPatterns.Sharding;

/// <summary>How a scatter-gather query runs.</summary>
public sealed class ScatterGatherOptions
{
    /// <summary>At most this many shards are queried at once (default: all). Keeps a wide fan-out from exhausting connection pools.</summary>
    public int MaxParallelism { get; set; } = int.MaxValue;

    /// <summary>Each shard must answer within this time, or it counts as failed (default 30 s).</summary>
    public TimeSpan PerShardTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// False (the default): any failed shard fails the whole query with a <see cref="ShardQueryException"/> naming it.
    /// True: the result holds what the other shards returned, marked <see cref="ScatterGatherResult{T}.IsPartial"/>, with the failures.
    /// </summary>
    public bool AllowPartialResults { get; set; }

    /// <summary>Only these shards are queried (default: every shard of the set), e.g. the shards a range query can touch.</summary>
    public IReadOnlyCollection<Shard>? Shards { get; set; }

    /// <summary>The clock for per-shard timeouts and latency metrics (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider? TimeProvider { get; set; }

    internal void Validate()
    {
        if (MaxParallelism <= 0)
        {
            throw new ArgumentException($"ScatterGatherOptions.MaxParallelism is {MaxParallelism}; it must be at least 1.", nameof(MaxParallelism));
        }

        if (PerShardTimeout <= TimeSpan.Zero && PerShardTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException($"ScatterGatherOptions.PerShardTimeout is {PerShardTimeout}; it must be positive (or Timeout.InfiniteTimeSpan).", nameof(PerShardTimeout));
        }
    }
}
