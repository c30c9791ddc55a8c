namespace DataPatterns.Sharding;

/// <summary>
/// One shard of a shard set: a name that is stable across processes (it is what data is filed under) and its position
/// in the set. Resolvers hand out these instances, never copies, so resolving allocates nothing.
/// </summary>
public sealed class Shard
{
    internal Shard(ShardSetIdentity set, string name, int index, double weight)
    {
        Set = set;
        Name = name;
        Index = index;
        Weight = weight;
    }

    /// <summary>The name of the shard set this shard belongs to.</summary>
    public string ShardSetName => Set.Name;

    /// <summary>The set that numbered this shard; <see cref="ShardMap{TTarget}"/> refuses shards of any other.</summary>
    internal ShardSetIdentity Set { get; }

    /// <summary>The shard's name, e.g. "orders-1". Data is assigned by name, so a name never changes meaning.</summary>
    public string Name { get; }

    /// <summary>The shard's position in its set (0-based), for array lookups such as <see cref="ShardMap{TTarget}"/>;
    /// meaningful only inside its own set.</summary>
    public int Index { get; }

    /// <summary>The shard's relative capacity (1 by default); weighted strategies give it a share of keys in proportion.</summary>
    public double Weight { get; }

    /// <inheritdoc />
    public override string ToString() => Name;
}
