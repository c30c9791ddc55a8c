namespace DataPatterns.Sharding;

/// <summary>
/// One shard of a shard set: a name that is stable across processes (it is what data is filed under) and its position
/// in the set. Resolvers hand out these instances, never copies, so resolving allocates nothing.
/// </summary>
public sealed class Shard
{
    internal Shard(string name, int index, double weight)
    {
        Name = name;
        Index = index;
        Weight = weight;
    }

    /// <summary>The shard's name, e.g. "orders-1". Data is assigned by name, so a name never changes meaning.</summary>
    public string Name { get; }

    /// <summary>The shard's position in its set (0-based), for array lookups such as <see cref="ShardMap{TTarget}"/>.</summary>
    public int Index { get; }

    /// <summary>The shard's relative capacity (1 by default); weighted strategies give it a share of keys in proportion.</summary>
    public double Weight { get; }

    /// <inheritdoc />
    public override string ToString() => Name;
}
