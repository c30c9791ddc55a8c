namespace DataPatterns.Sharding;

/// <summary>What <c>AddSharding</c> registered: each set's key type and the domain → set map. Internal bookkeeping, public for DI.</summary>
public sealed class ShardingRegistrations
{
    internal Dictionary<string, Type> SetKeyTypes { get; } = new(StringComparer.Ordinal);

    internal Dictionary<string, string> Domains { get; } = new(StringComparer.Ordinal);
}
