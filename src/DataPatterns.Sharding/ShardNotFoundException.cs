namespace DataPatterns.Sharding;

/// <summary>No shard owns a key, or a named shard does not exist. The message says which set and what to fix.</summary>
public sealed class ShardNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ShardNotFoundException(string shardSetName, string message)
        : base(message)
    {
        ShardSetName = shardSetName;
    }

    /// <summary>The shard set that was asked.</summary>
    public string ShardSetName { get; }
}
