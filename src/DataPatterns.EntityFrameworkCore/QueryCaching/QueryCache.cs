using System.IO.Hashing;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using DataPatterns.Caching;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DataPatterns.EntityFrameworkCore.QueryCaching;

/// <summary>
/// The EF Core second-level query cache: caches the results of LINQ queries, keyed by the query and its parameter
/// values, tagged with the tables they read, and invalidated by table when a change to those tables commits. It stores
/// through the DataPatterns <see cref="HybridCache"/> (<c>AddCaching().AddHybridCache()</c>), so results are shared by
/// every instance through Redis and invalidations reach every instance through the backplane and the L2 tag markers.
/// Queries use it through <see cref="QueryableCacheExtensions"/>.
/// </summary>
public sealed class QueryCache : IDisposable
{
    private readonly HybridCache _cache;
    private readonly QueryCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly HybridCacheEntryOptions _defaultEntry;

    [ThreadStatic]
    private static StringBuilder? t_text;

    /// <summary>Creates the query cache over the DataPatterns <see cref="HybridCache"/>.</summary>
    /// <param name="cache">The <see cref="HybridCache"/> registered by <c>AddCaching().AddHybridCache()</c>.</param>
    /// <param name="options">The query cache's settings.</param>
    /// <param name="time">The clock of the delayed second invalidation.</param>
    /// <param name="logger">The logger, or <see langword="null"/>.</param>
    /// <exception cref="InvalidOperationException">The <see cref="HybridCache"/> is not the DataPatterns one.</exception>
    public QueryCache(HybridCache cache, IOptions<QueryCacheOptions> options, TimeProvider? time = null, ILogger<QueryCache>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        if (cache.GetType().Assembly != typeof(ICache<,>).Assembly)
        {
            // Another HybridCache keeps each instance's memory copy after a tag removal elsewhere: the cache would serve stale rows.
            throw new InvalidOperationException(
                $"The EF Core query cache needs the DataPatterns HybridCache, which invalidates every instance, but {cache.GetType().FullName} is registered. Call services.AddCaching().UseRedis(...).AddHybridCache() after any other AddHybridCache().");
        }

        _cache = cache;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _defaultEntry = new HybridCacheEntryOptions { Expiration = _options.DefaultExpiration };
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// Returns the result of <paramref name="query"/>, from the cache when an equal query with equal parameter values
    /// was cached and none of its tables changed since; otherwise runs it (no tracking) and caches the result.
    /// Inside an open transaction of <paramref name="context"/> the query runs uncached.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="context">The context <paramref name="query"/> comes from.</param>
    /// <param name="query">A LINQ query over the context's sets.</param>
    /// <param name="expiration">The result's lifetime, or <see langword="null"/> for <see cref="QueryCacheOptions.DefaultExpiration"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The rows, detached; shared with other callers, so do not change them.</returns>
    /// <exception cref="NotSupportedException">The query cannot be keyed safely (see the message for the fix).</exception>
    public ValueTask<IReadOnlyList<T>> ToListAsync<T>(DbContext context, IQueryable<T> query, TimeSpan? expiration = null, CancellationToken cancellationToken = default) =>
        RunAsync(context, query, "list", expiration, cancellationToken);

    /// <summary>
    /// Invalidates every cached query that reads one of <paramref name="tables"/> (as EF names them: <c>schema.table</c>
    /// when the table has a schema, else <c>table</c>), on every instance. Call it after changing rows without
    /// <c>SaveChanges</c> (raw SQL, <c>ExecuteUpdate</c>, <c>ExecuteDelete</c>, another program), once the change has committed.
    /// </summary>
    /// <param name="tables">The changed tables.</param>
    /// <param name="cancellationToken">Cancels the invalidation.</param>
    public ValueTask InvalidateTablesAsync(IEnumerable<string> tables, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var tags = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(table, nameof(tables));
            tags.Add(QueryCacheTables.TagOf(table));
        }

        return InvalidateTagsAsync(tags, cancellationToken);
    }

    /// <summary>Stops the delayed second invalidations still waiting.</summary>
    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    internal async ValueTask InvalidateTagsAsync(IReadOnlyCollection<string> tags, CancellationToken cancellationToken)
    {
        if (tags.Count == 0)
        {
            return;
        }

        await _cache.RemoveByTagAsync(tags, cancellationToken).ConfigureAwait(false);
        QueryCacheLog.Invalidated(_logger, tags);

        if (_options.ReinvalidateAfter > TimeSpan.Zero)
        {
            _ = ReinvalidateLaterAsync(tags);
        }
    }

    /// <summary>Invalidates after a committed change; never throws, because the caller's change has committed.</summary>
    internal async ValueTask InvalidateAfterCommitAsync(IReadOnlyCollection<string> tags, CancellationToken cancellationToken)
    {
        try
        {
            await InvalidateTagsAsync(tags, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Throwing here would tell the caller the save failed after it committed (and invite a duplicate retry);
            // the cache engine remembers tags it could not write to L2 and repairs them when Redis answers again.
            QueryCacheLog.InvalidationFailed(_logger, tags, ex);
        }
    }

    internal ValueTask<IReadOnlyList<T>> RunAsync<T>(DbContext context, IQueryable<T> query, string shape, TimeSpan? expiration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(query);
        if (expiration is { } lifetime && lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(expiration), expiration, "The expiration of a cached query must be positive, or null for QueryCacheOptions.DefaultExpiration.");
        }

        if (context.Database.CurrentTransaction is not null)
        {
            QueryCacheLog.BypassedInTransaction(_logger);
            return LoadUncachedAsync(query, cancellationToken);
        }

        var (key, tags) = Describe(context, query.Expression, shape, typeof(T));
        var options = expiration is null ? _defaultEntry : new HybridCacheEntryOptions { Expiration = expiration };
        var pending = _cache.GetOrCreateAsync(key, query, static (q, token) => LoadAsync(q, token), options, tags, cancellationToken);
        return pending.IsCompletedSuccessfully ? new ValueTask<IReadOnlyList<T>>(pending.Result) : AwaitAsync(pending);
    }

    private static async ValueTask<IReadOnlyList<T>> AwaitAsync<T>(ValueTask<List<T>> pending) => await pending.ConfigureAwait(false);

    private static async ValueTask<IReadOnlyList<T>> LoadUncachedAsync<T>(IQueryable<T> query, CancellationToken cancellationToken) =>
        await LoadAsync(query, cancellationToken).ConfigureAwait(false);

    private static readonly MethodInfo s_asNoTracking = typeof(EntityFrameworkQueryableExtensions).GetMethod(nameof(EntityFrameworkQueryableExtensions.AsNoTracking))!;

    private static async ValueTask<List<T>> LoadAsync<T>(IQueryable<T> query, CancellationToken cancellationToken)
    {
        // Cached rows are shared by every caller: they must not be tracked by the context that loaded them. Values
        // (projections to numbers, structs) are never tracked, and AsNoTracking accepts reference types only.
        if (!typeof(T).IsValueType)
        {
            query = query.Provider.CreateQuery<T>(Expression.Call(null, s_asNoTracking.MakeGenericMethod(typeof(T)), query.Expression));
        }

        return await query.ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The cache key (a hash of everything that decides the result) and the tags (the tables read).</summary>
    internal (string Key, string[] Tags) Describe(DbContext context, Expression expression, string shape, Type elementType)
    {
        var model = context.Model;
        var text = t_text ?? new StringBuilder(512);
        t_text = null; // a nested call (a captured query) on this thread gets a builder of its own
        text.Clear();
        text.Append(shape).Append('|');
        text.Append(context.GetType().FullName).Append('|');
        text.Append(elementType.FullName).Append('|');

        // The database: the same query against two databases (shards, tenants) must not share a result.
        var connection = context.Database.GetConnectionString() ?? context.Database.GetDbConnection().ConnectionString;
        text.Append(connection.Length).Append(':').Append(connection).Append('|');
        var writer = new QueryCacheKeyWriter(text, model);
        writer.Visit(expression);
        CheckQueryFilters(writer);

        // The text's UTF-16 code units are hashed as they are, chunk by chunk: no string, no byte array.
        var hasher = new XxHash128();
        foreach (var chunk in text.GetChunks())
        {
            hasher.Append(MemoryMarshal.AsBytes(chunk.Span));
        }

        var hash = hasher.GetCurrentHashAsUInt128();
        if (text.Capacity <= 8192)
        {
            t_text = text;
        }

        var key = string.Concat(_options.KeyPrefix, ":", hash.ToString("x32", System.Globalization.CultureInfo.InvariantCulture));
        var tags = writer.ReadsEverything ? QueryCacheTables.TagsOfModel(model) : QueryCacheTables.TagsOfQuery(writer.EntityTypes);
        return (key, tags);
    }

    private static void CheckQueryFilters(QueryCacheKeyWriter writer)
    {
        if (writer.IgnoresQueryFilters)
        {
            return;
        }

        foreach (var entityType in writer.EntityTypes)
        {
            foreach (var type in entityType.GetDerivedTypesInclusive())
            {
                foreach (var filter in type.GetDeclaredQueryFilters())
                {
                    if (filter.Expression is { } lambda && ContextReader.Reads(lambda))
                    {
                        // The filter's values (a tenant id on the context) are not in the query: keying without them would share rows across tenants.
                        throw new NotSupportedException(
                            $"The query cache cannot cache a query over '{type.DisplayName()}', whose query filter reads the DbContext's state: the cache key would not see it. Add .IgnoreQueryFilters() and write the filter in the query (its values then become part of the key).");
                    }
                }
            }
        }
    }

    /// <summary>Finds whether an expression reads anything of a DbContext (a query filter's per-context values).</summary>
    private sealed class ContextReader : ExpressionVisitor
    {
        private bool _found;

        public static bool Reads(Expression expression)
        {
            var reader = new ContextReader();
            reader.Visit(expression);
            return reader._found;
        }

        public override Expression? Visit(Expression? node)
        {
            if (node is not null && typeof(DbContext).IsAssignableFrom(node.Type))
            {
                _found = true;
                return node;
            }

            return _found ? node : base.Visit(node);
        }
    }

    private async Task ReinvalidateLaterAsync(IReadOnlyCollection<string> tags)
    {
        try
        {
            await Task.Delay(_options.ReinvalidateAfter, _time, _disposed.Token).ConfigureAwait(false);
            await _cache.RemoveByTagAsync(tags, _disposed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The application is stopping: nothing is cached past it in memory, and L2 entries carry the first invalidation.
        }
        catch (ObjectDisposedException)
        {
            // Same: disposed while waiting.
        }
        catch (Exception ex)
        {
            QueryCacheLog.InvalidationFailed(_logger, tags, ex);
        }
    }
}
