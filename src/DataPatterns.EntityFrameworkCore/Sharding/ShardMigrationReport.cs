using System.Globalization;
using System.Text;
using DataPatterns.Sharding;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>What a migration run did on one shard.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="AlreadyApplied">The migrations the shard had before this run (null when its history could not be read).</param>
/// <param name="Applied">The migrations this run applied, in order (empty when the shard was already up to date or failed
/// before its history could be read again).</param>
/// <param name="Reverted">The migrations this run reverted (only with a <see cref="ShardMigrationOptions.TargetMigration"/>
/// earlier than the shard's last one).</param>
/// <param name="Duration">How long the shard took.</param>
/// <param name="Error">What went wrong, or null when the shard succeeded.</param>
public sealed record ShardMigrationResult(
    Shard Shard,
    IReadOnlyList<string>? AlreadyApplied,
    IReadOnlyList<string> Applied,
    IReadOnlyList<string> Reverted,
    TimeSpan Duration,
    Exception? Error)
{
    /// <summary>True when the shard's migrations ran to the end.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>What <see cref="IShardedDbContextFactory{TContext}.MigrateAllShardsAsync"/> did on each shard.</summary>
public sealed class ShardMigrationReport
{
    internal ShardMigrationReport(string shardSetName, IReadOnlyList<ShardMigrationResult> shards)
    {
        ShardSetName = shardSetName;
        Shards = shards;
        Failed = shards.Where(s => !s.Succeeded).ToArray();
    }

    /// <summary>The shard set that was migrated.</summary>
    public string ShardSetName { get; }

    /// <summary>One result per shard, in shard index order.</summary>
    public IReadOnlyList<ShardMigrationResult> Shards { get; }

    /// <summary>The shards that failed (empty when all succeeded).</summary>
    public IReadOnlyList<ShardMigrationResult> Failed { get; }

    /// <summary>True when every shard succeeded.</summary>
    public bool Succeeded => Failed.Count == 0;

    /// <summary>One line per shard: its name, what was applied, how long it took, and the error of a failed shard.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var shard in Shards)
        {
            var applied = shard.Applied.Count == 0 ? "nothing applied" : "applied " + string.Join(", ", shard.Applied);
            if (shard.Reverted.Count > 0)
            {
                applied += "; reverted " + string.Join(", ", shard.Reverted);
            }

            var outcome = shard.Error is null ? "ok" : "FAILED: " + shard.Error.Message;
            text.Append(CultureInfo.InvariantCulture, $"{shard.Shard.Name}: {outcome} ({applied}; {shard.Duration.TotalMilliseconds:0} ms)").AppendLine();
        }

        return text.ToString();
    }
}
