namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>
/// Migrations failed on one or more shards. The other shards finished; <see cref="Report"/> says what each shard did and the
/// message names each failed shard with its error. Fix the failed shards and run the migration again: each shard applies only
/// what it is missing.
/// </summary>
public sealed class ShardMigrationException : Exception
{
    /// <summary>Creates the exception from a report that has failures.</summary>
    public ShardMigrationException(ShardMigrationReport report)
        : base(BuildMessage(report), report is { Failed.Count: > 0 } ? report.Failed[0].Error : null)
    {
        Report = report!;
    }

    /// <summary>What each shard did.</summary>
    public ShardMigrationReport Report { get; }

    /// <summary>The names of the shards that failed.</summary>
    public IReadOnlyList<string> FailedShards => Report.Failed.Select(f => f.Shard.Name).ToArray();

    private static string BuildMessage(ShardMigrationReport? report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var failed = string.Join("; ", report.Failed.Select(f => $"'{f.Shard.Name}': {f.Error!.GetType().Name}: {f.Error.Message}"));
        var migrated = report.Shards.Count - report.Failed.Count;
        return $"Migrations failed on {report.Failed.Count} of {report.Shards.Count} shard(s) of set '{report.ShardSetName}': {failed}. "
            + $"The other {migrated} shard(s) finished (see Report). Make the failed shard(s) reachable and run MigrateAllShardsAsync again: "
            + "each shard applies only the migrations its __EFMigrationsHistory lacks, so nothing is applied twice.";
    }
}
