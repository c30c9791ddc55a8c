using DataPatterns.EntityFrameworkCore.QueryCaching;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// Runs a LINQ query through the second-level query cache: <c>await db.Orders.Where(o => o.CustomerId == id).ToCachedListAsync(db, ct)</c>.
/// The context must be configured with <c>UseQueryCache(serviceProvider)</c>.
/// </summary>
public static class QueryableCacheExtensions
{
    /// <summary>
    /// Returns the query's rows from the second-level cache, or runs it (no tracking) and caches them, keyed by the
    /// query and its parameter values and tagged with the tables it reads.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="query">A LINQ query over <paramref name="context"/>'s sets.</param>
    /// <param name="context">The context the query comes from (a query does not expose its context).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The rows, detached and shared with other callers: do not change them.</returns>
    /// <exception cref="InvalidOperationException">The context was not configured with <c>UseQueryCache</c>.</exception>
    /// <exception cref="NotSupportedException">The query cannot be keyed safely (the message says why and what to do).</exception>
    public static ValueTask<IReadOnlyList<T>> ToCachedListAsync<T>(this IQueryable<T> query, DbContext context, CancellationToken cancellationToken = default) =>
        CacheOf(context).RunAsync(context, query, "list", null, cancellationToken);

    /// <summary>As <see cref="ToCachedListAsync{T}(IQueryable{T}, DbContext, CancellationToken)"/>, with the result's lifetime.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="query">A LINQ query over <paramref name="context"/>'s sets.</param>
    /// <param name="context">The context the query comes from.</param>
    /// <param name="expiration">How long the result is cached (positive).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The rows, detached and shared with other callers: do not change them.</returns>
    public static ValueTask<IReadOnlyList<T>> ToCachedListAsync<T>(this IQueryable<T> query, DbContext context, TimeSpan expiration, CancellationToken cancellationToken = default) =>
        CacheOf(context).RunAsync(context, query, "list", expiration, cancellationToken);

    /// <summary>Returns the query's first row (or <see langword="default"/>) through the second-level cache.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="query">A LINQ query over <paramref name="context"/>'s sets; order it for a stable first row.</param>
    /// <param name="context">The context the query comes from.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The first row, detached and shared with other callers, or <see langword="default"/>.</returns>
    public static async ValueTask<T?> FirstOrDefaultCachedAsync<T>(this IQueryable<T> query, DbContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var rows = await CacheOf(context).RunAsync(context, query.Take(1), "first", null, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? default : rows[0];
    }

    /// <summary>
    /// Invalidates, on every instance, the cached queries that read <paramref name="tables"/> (<c>schema.table</c> or
    /// <c>table</c>, as EF maps them): call it after raw SQL, <c>ExecuteUpdate</c> or <c>ExecuteDelete</c> has committed.
    /// </summary>
    /// <param name="context">A context configured with <c>UseQueryCache</c>.</param>
    /// <param name="tables">The changed tables.</param>
    /// <param name="cancellationToken">Cancels the invalidation.</param>
    public static ValueTask InvalidateCachedTablesAsync(this DbContext context, IEnumerable<string> tables, CancellationToken cancellationToken = default) =>
        CacheOf(context).InvalidateTablesAsync(tables, cancellationToken);

    private static QueryCache CacheOf(DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var interceptors = context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.Interceptors;
        if (interceptors is not null)
        {
            foreach (var interceptor in interceptors)
            {
                if (interceptor is QueryCacheInvalidationInterceptor cacheInterceptor)
                {
                    return cacheInterceptor.Cache;
                }
            }
        }

        throw new InvalidOperationException(
            $"The context {context.GetType().Name} has no query cache: configure it with options.UseQueryCache(serviceProvider) in AddDbContext((serviceProvider, options) => ...), after services.AddEntityFrameworkQueryCache().");
    }
}
