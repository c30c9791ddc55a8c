namespace DataPatterns.Sharding;

/// <summary>The rows one shard returned.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Rows">Its rows.</param>
public sealed record ShardRows<T>(Shard Shard, IReadOnlyList<T> Rows);
