namespace DataPatterns.Sharding;

/// <summary>The buckets that move from one shard to another.</summary>
/// <param name="From">The shard that owns them now (in the current topology).</param>
/// <param name="To">The shard that owns them next (in the new topology).</param>
/// <param name="Buckets">The bucket numbers, ascending.</param>
public sealed record BucketMoveGroup(Shard From, Shard To, IReadOnlyList<int> Buckets);
