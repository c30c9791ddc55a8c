namespace DataPatterns.Sharding;

/// <summary>
/// A shard (or a resolver) of one shard set was used with a <see cref="ShardMap{TTarget}"/> built for another set. A map
/// looks targets up by <see cref="Shard.Index"/>, which is a position inside one set only, so answering would hand out
/// another shard's target. The message names both sets and what to use instead.
/// </summary>
public sealed class ShardSetMismatchException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public ShardSetMismatchException(string mapShardSetName, string shardName, string shardSetOfShard, string message)
        : base(message)
    {
        MapShardSetName = mapShardSetName;
        ShardName = shardName;
        ShardSetOfShard = shardSetOfShard;
    }

    /// <summary>The set the map was built for.</summary>
    public string MapShardSetName { get; }

    /// <summary>The shard that was refused.</summary>
    public string ShardName { get; }

    /// <summary>The set the refused shard belongs to (may have the same name as the map's set when it is another build of it).</summary>
    public string ShardSetOfShard { get; }
}
