namespace DataPatterns.Sharding;

/// <summary>A shard as configured: its stable name and its relative weight.</summary>
public sealed class ShardDefinition
{
    /// <summary>The shard's name; data is assigned by name, so never reuse a name for a different database.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Relative capacity (default 1). Used by the ring, rendezvous and virtual-bucket strategies.</summary>
    public double Weight { get; set; } = 1;
}
