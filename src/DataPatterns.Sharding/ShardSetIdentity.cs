namespace DataPatterns.Sharding;

/// <summary>
/// The one object every shard of a set points to. Two sets (or two builds of the same set, say in two containers) get two
/// identities even when their names match, because a shard's index only means something inside the set that numbered it.
/// Comparing identities is a reference comparison, so checking "is this shard mine?" costs nothing on the hot path.
/// </summary>
internal sealed class ShardSetIdentity(string name)
{
    public string Name { get; } = name;
}
