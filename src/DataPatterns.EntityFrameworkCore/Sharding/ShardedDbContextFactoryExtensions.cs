using DataPatterns.Sharding;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>
/// Scatter-gather over LINQ: one query run on every shard (or <see cref="ScatterGatherOptions.Shards"/>) in parallel, at most
/// <see cref="ScatterGatherOptions.MaxParallelism"/> at once, each shard with a context of its own and within
/// <see cref="ScatterGatherOptions.PerShardTimeout"/>. A failed shard fails the call with a <see cref="ShardQueryException"/>
/// naming it, unless <see cref="ScatterGatherOptions.AllowPartialResults"/> is set; then the result lists it.
/// </summary>
public static class ShardedDbContextFactoryExtensions
{
    /// <summary>Runs <paramref name="query"/> on every shard and returns each shard's rows (untracked: each shard's context is disposed once its rows are read).</summary>
    /// <exception cref="ShardQueryException">A shard failed or timed out and partial results are not allowed.</exception>
    public static Task<ScatterGatherResult<T>> ScatterGatherAsync<TContext, T>(
        this IShardedDbContextFactory<TContext> factory,
        Func<TContext, IQueryable<T>> query,
        ScatterGatherOptions? options = null,
        CancellationToken cancellationToken = default)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(query);
        return factory.ScatterGatherAsync<TContext, T>(
            async (context, token) =>
            {
                // The context is disposed as soon as its rows are read, so tracking them would only cost snapshots.
                context.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
                return await query(context).ToListAsync(token).ConfigureAwait(false);
            },
            options,
            cancellationToken);
    }

    /// <summary>Runs <paramref name="work"/> with a context on every shard and returns what each returned (for work LINQ cannot say).</summary>
    /// <exception cref="ShardQueryException">A shard failed or timed out and partial results are not allowed.</exception>
    public static Task<ScatterGatherResult<T>> ScatterGatherAsync<TContext, T>(
        this IShardedDbContextFactory<TContext> factory,
        Func<TContext, CancellationToken, Task<List<T>>> work,
        ScatterGatherOptions? options = null,
        CancellationToken cancellationToken = default)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(work);
        return factory.Options.ScatterGatherAsync<DbContextOptions<TContext>, T>(
            async (_, shard, token) =>
            {
                var context = factory.CreateForShard(shard);
                await using (context.ConfigureAwait(false))
                {
                    return await work(context, token).ConfigureAwait(false);
                }
            },
            options,
            cancellationToken);
    }

    /// <summary>
    /// One page of <paramref name="query"/>'s rows over all shards in <paramref name="order"/>: each shard returns its first
    /// <paramref name="skip"/> + <paramref name="take"/> rows in that order, the lists are merged (k-way), and the page is cut
    /// from the merged order. Correct for any page, since no row of the page can be beyond a shard's first
    /// skip + take; the cost grows with skip, so deep pages are better reached by a key (where key &gt; last seen).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="skip"/> or <paramref name="take"/> is negative, or their sum overflows.</exception>
    /// <exception cref="ShardQueryException">A shard failed or timed out and partial results are not allowed.</exception>
    public static async Task<ShardedPage<T>> QueryPageAsync<TContext, T>(
        this IShardedDbContextFactory<TContext> factory,
        Func<TContext, IQueryable<T>> query,
        ShardedOrder<T> order,
        int skip,
        int take,
        ScatterGatherOptions? options = null,
        CancellationToken cancellationToken = default)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(order);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegative(take);
        if ((long)skip + take > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(take), $"skip ({skip}) + take ({take}) exceeds {int.MaxValue}: every shard would be asked for that many rows; page by a key instead.");
        }

        var perShard = skip + take;
        var result = await factory.ScatterGatherAsync(context => order.ApplyTo(query(context)).Take(perShard), options, cancellationToken).ConfigureAwait(false);
        return new ShardedPage<T>(result.MergeOrdered(order, skip, take), skip, take, result.Failures);
    }

    /// <summary>The number of rows of <paramref name="query"/> over all shards.</summary>
    /// <exception cref="ShardQueryException">A shard failed or timed out and partial results are not allowed.</exception>
    public static async Task<ShardedAggregate<long>> CountAsync<TContext, T>(
        this IShardedDbContextFactory<TContext> factory, Func<TContext, IQueryable<T>> query, ScatterGatherOptions? options = null, CancellationToken cancellationToken = default)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(query);
        var result = await factory.ScatterGatherAsync<TContext, long>(
            async (context, token) => [await query(context).LongCountAsync(token).ConfigureAwait(false)], options, cancellationToken).ConfigureAwait(false);
        return new ShardedAggregate<long>(result.Concatenate().Sum(), result.Failures);
    }

    /// <summary>The sum of <paramref name="query"/>'s values over all shards (0 when there are none).</summary>
    /// <exception cref="ShardQueryException">A shard failed or timed out and partial results are not allowed.</exception>
    public static async Task<ShardedAggregate<long>> SumAsync<TContext>(
        this IShardedDbContextFactory<TContext> factory, Func<TContext, IQueryable<long>> query, ScatterGatherOptions? options = null, CancellationToken cancellationToken = default)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(query);
        var result = await factory.ScatterGatherAsync<TContext, long>(
            async (context, token) => [await query(context).SumAsync(token).ConfigureAwait(false)], options, cancellationToken).ConfigureAwait(false);
        return new ShardedAggregate<long>(checked(result.Concatenate().Sum()), result.Failures);
    }

    /// <summary>The sum of <paramref name="query"/>'s values over all shards (0 when there are none).</summary>
    /// <exception cref="ShardQueryException">A shard failed or timed out and partial results are not allowed.</exception>
    public static async Task<ShardedAggregate<decimal>> SumAsync<TContext>(
        this IShardedDbContextFactory<TContext> factory, Func<TContext, IQueryable<decimal>> query, ScatterGatherOptions? options = null, CancellationToken cancellationToken = default)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(query);
        var result = await factory.ScatterGatherAsync<TContext, decimal>(
            async (context, token) => [await query(context).SumAsync(token).ConfigureAwait(false)], options, cancellationToken).ConfigureAwait(false);
        return new ShardedAggregate<decimal>(result.Concatenate().Sum(), result.Failures);
    }

    /// <summary>The smallest of <paramref name="query"/>'s values over all shards, or null when no shard has a row.</summary>
    /// <exception cref="ShardQueryException">A shard failed or timed out and partial results are not allowed.</exception>
    public static Task<ShardedAggregate<TValue?>> MinAsync<TContext, TValue>(
        this IShardedDbContextFactory<TContext> factory, Func<TContext, IQueryable<TValue>> query, ScatterGatherOptions? options = null, CancellationToken cancellationToken = default)
        where TContext : DbContext
        where TValue : struct =>
        ExtremeAsync(factory, query, largest: false, options, cancellationToken);

    /// <summary>The largest of <paramref name="query"/>'s values over all shards, or null when no shard has a row.</summary>
    /// <exception cref="ShardQueryException">A shard failed or timed out and partial results are not allowed.</exception>
    public static Task<ShardedAggregate<TValue?>> MaxAsync<TContext, TValue>(
        this IShardedDbContextFactory<TContext> factory, Func<TContext, IQueryable<TValue>> query, ScatterGatherOptions? options = null, CancellationToken cancellationToken = default)
        where TContext : DbContext
        where TValue : struct =>
        ExtremeAsync(factory, query, largest: true, options, cancellationToken);

    private static async Task<ShardedAggregate<TValue?>> ExtremeAsync<TContext, TValue>(
        IShardedDbContextFactory<TContext> factory, Func<TContext, IQueryable<TValue>> query, bool largest, ScatterGatherOptions? options, CancellationToken cancellationToken)
        where TContext : DbContext
        where TValue : struct
    {
        ArgumentNullException.ThrowIfNull(query);

        // Asked as a nullable value so an empty shard answers null (SQL's MIN of no rows) instead of throwing.
        var result = await factory.ScatterGatherAsync<TContext, TValue?>(
            async (context, token) =>
            {
                var values = query(context).Select(value => (TValue?)value);
                return [largest ? await values.MaxAsync(token).ConfigureAwait(false) : await values.MinAsync(token).ConfigureAwait(false)];
            },
            options,
            cancellationToken).ConfigureAwait(false);
        TValue? extreme = null;
        foreach (var value in result.Concatenate())
        {
            if (value is { } v && (extreme is not { } e || (largest ? Comparer<TValue>.Default.Compare(v, e) > 0 : Comparer<TValue>.Default.Compare(v, e) < 0)))
            {
                extreme = v;
            }
        }

        return new ShardedAggregate<TValue?>(extreme, result.Failures);
    }
}
