using DataPatterns.Sharding;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>How <see cref="IShardedDbContextFactory{TContext}.MigrateAllShardsAsync"/> runs.</summary>
public sealed class ShardMigrationOptions
{
    /// <summary>
    /// At most this many shards migrate at once (default 4). Schema changes take locks and load the servers, so a wide set
    /// is migrated a few shards at a time rather than all at once.
    /// </summary>
    public int MaxParallelism { get; set; } = 4;

    /// <summary>
    /// True (the default): when any shard fails, the call throws a <see cref="ShardMigrationException"/> naming it, after the
    /// other shards have finished. False: the call returns the report and the caller reads <see cref="ShardMigrationReport.Failed"/>.
    /// </summary>
    public bool ThrowOnFailure { get; set; } = true;

    /// <summary>Only these shards are migrated (default: every shard of the set).</summary>
    public IReadOnlyCollection<Shard>? Shards { get; set; }

    /// <summary>
    /// The migration to stop at (its id or name, as <c>Database.MigrateAsync(targetMigration)</c> takes it); null (the default)
    /// applies every migration. Naming an earlier migration than a shard has reverts that shard to it.
    /// </summary>
    public string? TargetMigration { get; set; }

    internal void Validate()
    {
        if (MaxParallelism <= 0)
        {
            throw new ArgumentException($"ShardMigrationOptions.MaxParallelism is {MaxParallelism}; it must be at least 1.", nameof(MaxParallelism));
        }

        if (Shards is { Count: 0 })
        {
            throw new ArgumentException("ShardMigrationOptions.Shards is empty, so nothing would be migrated; list at least one shard, or leave it null for every shard.", nameof(Shards));
        }

        if (TargetMigration is { } target && string.IsNullOrWhiteSpace(target))
        {
            throw new ArgumentException("ShardMigrationOptions.TargetMigration is blank; name a migration, or leave it null to apply every migration.", nameof(TargetMigration));
        }
    }
}
