using DataPatterns.Sharding;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>
/// Creates <typeparamref name="TContext"/> instances connected to one shard of a shard set: the shard that owns a key
/// (resolved by the set's own <see cref="ShardResolver{TKey}"/>, so a row lands where every other part of the application
/// looks for it) or a named shard. Each shard's <see cref="DbContextOptions{TContext}"/> is built once and reused, so a
/// context costs what a context from EF Core's own factory costs. The caller owns (and disposes) every context it gets.
/// Scatter-gather queries and migrations on every shard are extension methods in
/// <see cref="ShardedDbContextFactoryExtensions"/> and <see cref="MigrateAllShardsAsync"/>.
/// </summary>
/// <typeparam name="TContext">The context type; it needs a public constructor taking <see cref="DbContextOptions{TContext}"/>
/// (other constructor parameters are resolved from the service provider).</typeparam>
public interface IShardedDbContextFactory<TContext>
    where TContext : DbContext
{
    /// <summary>The name of the shard set the contexts connect to.</summary>
    string ShardSetName { get; }

    /// <summary>Every shard of the set, in index order.</summary>
    IReadOnlyList<Shard> Shards { get; }

    /// <summary>The options each shard's contexts are created with, built once per shard.</summary>
    ShardMap<DbContextOptions<TContext>> Options { get; }

    /// <summary>The shard that owns <paramref name="key"/>, exactly as the shard set's resolver answers.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="TKey"/> is not the set's key type.</exception>
    /// <exception cref="ShardNotFoundException">No shard owns the key (outside every range, or not in the directory).</exception>
    Shard ShardFor<TKey>(TKey key);

    /// <summary>
    /// A new context on the shard that owns <paramref name="key"/>. Asynchronous so a resolver that has to look a key up
    /// can do so without blocking; with the built-in resolvers it completes synchronously and allocates no task.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="TKey"/> is not the set's key type.</exception>
    /// <exception cref="ShardNotFoundException">No shard owns the key.</exception>
    ValueTask<TContext> CreateForKeyAsync<TKey>(TKey key, CancellationToken cancellationToken = default);

    /// <summary>A new context on <paramref name="shard"/>.</summary>
    /// <exception cref="ShardSetMismatchException"><paramref name="shard"/> belongs to another shard set.</exception>
    TContext CreateForShard(Shard shard);

    /// <summary>A new context on the shard named <paramref name="shardName"/>.</summary>
    /// <exception cref="ShardNotFoundException">The set has no shard of that name; the message lists the shards it has.</exception>
    TContext CreateForShard(string shardName);

    /// <summary>
    /// Applies the context's EF Core migrations to every shard (or <see cref="ShardMigrationOptions.Shards"/>), at most
    /// <see cref="ShardMigrationOptions.MaxParallelism"/> at once. A shard that fails does not stop the others. Each shard
    /// applies only what its own <c>__EFMigrationsHistory</c> lacks, so running again after a failure finishes the rest
    /// and applies nothing twice.
    /// </summary>
    /// <returns>What happened on each shard.</returns>
    /// <exception cref="ShardMigrationException">A shard failed and <see cref="ShardMigrationOptions.ThrowOnFailure"/> is true
    /// (the default); names every failed shard and carries the full report.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<ShardMigrationReport> MigrateAllShardsAsync(ShardMigrationOptions? options = null, CancellationToken cancellationToken = default);
}
