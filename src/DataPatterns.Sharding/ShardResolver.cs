using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

/// <summary>
/// Maps a shard key to the shard that owns it. The answer depends only on the key and the shard set's configuration,
/// so it is the same in every process and on every machine. Resolving allocates nothing.
/// </summary>
/// <typeparam name="TKey">The shard-key type: <see cref="int"/>, <see cref="long"/>, <see cref="Guid"/>, <see cref="string"/>,
/// a tuple of those, or any type with an <see cref="IShardKeyHasher{TKey}"/> (hash strategies) or an ordering (range strategy).</typeparam>
public abstract class ShardResolver<TKey>
{
    private ShardingMetrics _metrics = ShardingMetrics.Default;

    // Kept beside the metrics so the hot path's check is one field read.
    private Counter<long> _resolutions = ShardingMetrics.Default.Resolutions;

    /// <summary>Creates a resolver over <paramref name="shards"/>.</summary>
    protected ShardResolver(string shardSetName, IReadOnlyList<Shard> shards)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shardSetName);
        ArgumentNullException.ThrowIfNull(shards);
        ShardSetName = shardSetName;
        Shards = shards;
    }

    /// <summary>The name of the shard set this resolver serves.</summary>
    public string ShardSetName { get; }

    /// <summary>Every shard of the set, in index order.</summary>
    public IReadOnlyList<Shard> Shards { get; }

    /// <summary>Returns the shard that owns <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ShardNotFoundException">No shard owns the key (a key outside every range, or missing from the directory with no fallback).</exception>
    public abstract Shard Resolve(TKey key);

    /// <summary>Where the resolver reports; the container's meter when the resolver came from <c>AddSharding</c>.</summary>
    internal ShardingMetrics Metrics
    {
        get => _metrics;
        set
        {
            _metrics = value;
            _resolutions = value.Resolutions;
        }
    }

    /// <summary>Finds a shard by name.</summary>
    /// <exception cref="ShardNotFoundException">The set has no shard of that name.</exception>
    public Shard GetShard(string name)
    {
        foreach (var shard in Shards)
        {
            if (string.Equals(shard.Name, name, StringComparison.Ordinal))
            {
                return shard;
            }
        }

        throw new ShardNotFoundException(ShardSetName, $"Shard set '{ShardSetName}' has no shard named '{name}'. Its shards are: {string.Join(", ", Shards.Select(s => s.Name))}.");
    }

    /// <summary>Counts a resolution when someone listens; an unobserved resolver pays one field read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void RecordResolution(Shard shard)
    {
        if (_resolutions.Enabled)
        {
            _metrics.RecordResolution(ShardSetName, shard);
        }
    }
}
