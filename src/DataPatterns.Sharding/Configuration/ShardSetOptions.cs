namespace DataPatterns.Sharding;

/// <summary>The configuration of one named shard set. Checked at start-up, and by <see cref="ShardResolverFactory"/>, with every problem listed at once.</summary>
/// <typeparam name="TKey">The shard-key type.</typeparam>
public sealed class ShardSetOptions<TKey>
{
    /// <summary>The shards, in order. For <see cref="ShardingStrategy.JumpHash"/> and the default virtual-bucket table, add new shards at the end.</summary>
    public IList<ShardDefinition> Shards { get; } = new List<ShardDefinition>();

    /// <summary>How keys map to shards (default <see cref="ShardingStrategy.VirtualBuckets"/>).</summary>
    public ShardingStrategy Strategy { get; set; } = ShardingStrategy.VirtualBuckets;

    /// <summary>The number of virtual buckets (default 1024). Fixed for the life of the data: a key's bucket depends on it.</summary>
    public int BucketCount { get; set; } = 1024;

    /// <summary>Explicit bucket → shard assignments that override the balanced default table (what a finished resharding records).</summary>
    public IDictionary<int, string> BucketAssignments { get; } = new Dictionary<int, string>();

    /// <summary>Virtual nodes per shard of weight 1 on the consistent-hash ring (default 4000).</summary>
    public int VirtualNodesPerShard { get; set; } = 4000;

    /// <summary>The key ranges, for <see cref="ShardingStrategy.Range"/>.</summary>
    public IList<ShardRange<TKey>> Ranges { get; } = new List<ShardRange<TKey>>();

    /// <summary>The order of keys for <see cref="ShardingStrategy.Range"/> (default <see cref="Comparer{T}.Default"/>).</summary>
    public IComparer<TKey>? KeyComparer { get; set; }

    /// <summary>A stable hasher for key types without a built-in encoding (built in: int, long, Guid, string and tuples of those).</summary>
    public IShardKeyHasher<TKey>? KeyHasher { get; set; }

    /// <summary>How often a <see cref="ShardingStrategy.Directory"/> set reloads its table (default 1 minute).</summary>
    public TimeSpan DirectoryRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// For <see cref="ShardingStrategy.Directory"/>: the strategy for keys missing from the directory (a hash strategy), or null
    /// (the default) to fail with <see cref="ShardNotFoundException"/>.
    /// </summary>
    public ShardingStrategy? DirectoryFallback { get; set; }

    /// <summary>Adds a shard (fluent).</summary>
    public ShardSetOptions<TKey> AddShard(string name, double weight = 1)
    {
        Shards.Add(new ShardDefinition { Name = name, Weight = weight });
        return this;
    }
}
