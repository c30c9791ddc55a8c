using Microsoft.Extensions.Logging;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>Log events of sharded contexts: ids 6030–6039 of the package's range.</summary>
internal static partial class ShardedDbContextLog
{
    [LoggerMessage(EventId = 6030, Level = LogLevel.Information, Message = "Migrating shard '{Shard}' of set '{ShardSet}': {PendingCount} migration(s) pending")]
    public static partial void MigratingShard(ILogger logger, string shard, string shardSet, int pendingCount);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Information, Message = "Shard '{Shard}' of set '{ShardSet}' migrated: {AppliedCount} applied in {DurationSeconds:0.000} s")]
    public static partial void ShardMigrated(ILogger logger, string shard, string shardSet, int appliedCount, double durationSeconds);

    [LoggerMessage(EventId = 6032, Level = LogLevel.Error, Message = "Migrating shard '{Shard}' of set '{ShardSet}' failed after {DurationSeconds:0.000} s; the other shards continue")]
    public static partial void ShardMigrationFailed(ILogger logger, Exception error, string shard, string shardSet, double durationSeconds);
}
