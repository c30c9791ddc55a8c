namespace DataPatterns.Sharding;

/// <summary>One shard that failed its part of a scatter-gather query.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Error">What went wrong (a <see cref="TimeoutException"/> when it did not answer in time).</param>
public sealed record ShardFailure(Shard Shard, Exception Error);
