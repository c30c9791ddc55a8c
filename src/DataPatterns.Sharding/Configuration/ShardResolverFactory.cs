namespace DataPatterns.Sharding;

/// <summary>Builds the resolver a shard set's options describe (used by <c>AddSharding</c>; usable without DI too).</summary>
public static class ShardResolverFactory
{
    /// <summary>
    /// Creates the virtual-bucket resolver for <paramref name="options"/> (for example the next topology of a resharding
    /// plan), without a cast.
    /// </summary>
    /// <param name="shardSetName">The set's name.</param>
    /// <param name="options">Options with <see cref="ShardingStrategy.VirtualBuckets"/> (the default).</param>
    /// <exception cref="ArgumentException">The options are invalid, or name another strategy.</exception>
    public static BucketShardResolver<TKey> CreateBuckets<TKey>(string shardSetName, ShardSetOptions<TKey> options)
        where TKey : notnull =>
        Create(shardSetName, options) as BucketShardResolver<TKey>
        ?? throw new ArgumentException($"Shard set '{shardSetName}': CreateBuckets needs Strategy = ShardingStrategy.VirtualBuckets (the default); use Create for other strategies.", nameof(options));

    /// <summary>Creates the resolver for <paramref name="options"/>.</summary>
    /// <param name="shardSetName">The set's name.</param>
    /// <param name="options">The set's options; checked here, every problem listed in one exception.</param>
    /// <param name="directorySource">The directory source, for <see cref="ShardingStrategy.Directory"/>.</param>
    /// <param name="timeProvider">The clock for directory load times.</param>
    /// <exception cref="ArgumentException">The options are invalid (the message lists every problem).</exception>
    public static ShardResolver<TKey> Create<TKey>(string shardSetName, ShardSetOptions<TKey> options, IShardDirectorySource<TKey>? directorySource = null, TimeProvider? timeProvider = null)
        where TKey : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shardSetName);
        ArgumentNullException.ThrowIfNull(options);
        var validation = new ShardSetOptionsValidator<TKey>().Validate(shardSetName, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        var set = new ShardSetIdentity(shardSetName);
        var shards = options.Shards.Select((s, i) => new Shard(set, s.Name, i, s.Weight)).ToArray();
        if (options.Strategy == ShardingStrategy.Directory)
        {
            if (directorySource is null)
            {
                throw new ArgumentException($"Shard set '{shardSetName}' uses the Directory strategy but has no directory source; call UseDirectory(...) on its builder.", nameof(directorySource));
            }

            var fallback = options.DirectoryFallback is { } strategy ? CreateHashed(shardSetName, shards, options, strategy) : null;
            return new DirectoryShardResolver<TKey>(shardSetName, shards, directorySource, fallback, timeProvider);
        }

        if (options.Strategy == ShardingStrategy.Range)
        {
            return new RangeShardResolver<TKey>(shardSetName, shards, options.Ranges, options.KeyComparer);
        }

        return CreateHashed(shardSetName, shards, options, options.Strategy);
    }

    private static ShardResolver<TKey> CreateHashed<TKey>(string shardSetName, Shard[] shards, ShardSetOptions<TKey> options, ShardingStrategy strategy)
    {
        var names = shards.Select(s => s.Name).ToArray();
        var weights = shards.Select(s => s.Weight).ToArray();
        return strategy switch
        {
            ShardingStrategy.VirtualBuckets => new BucketShardResolver<TKey>(
                shardSetName,
                VirtualBucketMap.Create(shards, options.BucketCount, options.BucketAssignments.Count == 0 ? null : options.BucketAssignments.AsReadOnly()),
                options.KeyHasher),
            ShardingStrategy.Modulo => new HashShardResolver<TKey>(shardSetName, shards, new ModuloAlgorithm(shards.Length), options.KeyHasher),
            ShardingStrategy.JumpHash => new HashShardResolver<TKey>(shardSetName, shards, new JumpHashAlgorithm(shards.Length), options.KeyHasher),
            ShardingStrategy.ConsistentHashRing => new HashShardResolver<TKey>(shardSetName, shards, new ConsistentHashRing(names, options.VirtualNodesPerShard, weights), options.KeyHasher),
            ShardingStrategy.Rendezvous => new HashShardResolver<TKey>(shardSetName, shards, new RendezvousAlgorithm(names, weights), options.KeyHasher),
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, $"Shard set '{shardSetName}': {strategy} is not a hash strategy."),
        };
    }
}
