using DataPatterns.Sharding;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>Applies a context's migrations shard by shard; one shard's failure is recorded, never allowed to stop the others.</summary>
internal static class ShardMigrationRunner
{
    public static async Task<ShardMigrationReport> RunAsync<TContext>(
        IShardedDbContextFactory<TContext> factory, ShardMigrationOptions options, ILogger logger, TimeProvider timeProvider, CancellationToken cancellationToken)
        where TContext : DbContext
    {
        options.Validate();
        var shards = SelectShards(factory, options);
        var results = new ShardMigrationResult[shards.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, shards.Length),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Min(options.MaxParallelism, shards.Length), CancellationToken = cancellationToken },
            async (i, token) => results[i] = await MigrateShardAsync(factory, shards[i], options.TargetMigration, logger, timeProvider, token).ConfigureAwait(false))
            .ConfigureAwait(false);

        var report = new ShardMigrationReport(factory.ShardSetName, results);
        if (!report.Succeeded && options.ThrowOnFailure)
        {
            throw new ShardMigrationException(report);
        }

        return report;
    }

    private static Shard[] SelectShards<TContext>(IShardedDbContextFactory<TContext> factory, ShardMigrationOptions options)
        where TContext : DbContext
    {
        if (options.Shards is null)
        {
            return [.. factory.Shards];
        }

        foreach (var shard in options.Shards)
        {
            if (shard is null)
            {
                throw new ArgumentException("ShardMigrationOptions.Shards holds a null shard; list shards of the factory's set (factory.Shards).", nameof(options));
            }

            // The map's indexer refuses a shard of another set with a message that says which set it belongs to.
            _ = factory.Options[shard];
        }

        return [.. options.Shards.Distinct().OrderBy(s => s.Index)];
    }

    private static async Task<ShardMigrationResult> MigrateShardAsync<TContext>(
        IShardedDbContextFactory<TContext> factory, Shard shard, string? targetMigration, ILogger logger, TimeProvider timeProvider, CancellationToken cancellationToken)
        where TContext : DbContext
    {
        var started = timeProvider.GetTimestamp();
        string[]? before = null;
        try
        {
            var context = factory.CreateForShard(shard);
            await using (context.ConfigureAwait(false))
            {
                before = [.. await context.Database.GetAppliedMigrationsAsync(cancellationToken).ConfigureAwait(false)];
                var pending = context.Database.GetMigrations().Except(before, StringComparer.Ordinal).Count();
                ShardedDbContextLog.MigratingShard(logger, shard.Name, shard.ShardSetName, pending);

                // EF Core reads the history again under its migration lock, so a concurrent or repeated run applies nothing twice.
                await context.Database.MigrateAsync(targetMigration, cancellationToken).ConfigureAwait(false);
                string[] after = [.. await context.Database.GetAppliedMigrationsAsync(cancellationToken).ConfigureAwait(false)];
                var applied = after.Except(before, StringComparer.Ordinal).ToArray();
                var reverted = before.Except(after, StringComparer.Ordinal).ToArray();
                var duration = timeProvider.GetElapsedTime(started);
                ShardedDbContextLog.ShardMigrated(logger, shard.Name, shard.ShardSetName, applied.Length, duration.TotalSeconds);
                return new ShardMigrationResult(shard, before, applied, reverted, duration, null);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var duration = timeProvider.GetElapsedTime(started);
            ShardedDbContextLog.ShardMigrationFailed(logger, ex, shard.Name, shard.ShardSetName, duration.TotalSeconds);
            return new ShardMigrationResult(shard, before, [], [], duration, ex);
        }
    }
}
