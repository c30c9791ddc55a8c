using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace DataPatterns.EntityFrameworkCore.QueryCaching;

/// <summary>
/// Invalidates the tables a <c>SaveChanges</c> wrote, once they are committed: when SaveChanges's own transaction
/// commits, or, inside a transaction of the application's, when that transaction commits (a rollback drops them).
/// The tables are collected before the save (afterwards every entry is Unchanged) and kept per context.
/// </summary>
internal sealed class QueryCacheInvalidationInterceptor : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly QueryCache _cache;
    private readonly ConditionalWeakTable<DbContext, PendingTables> _pending = [];

    public QueryCacheInvalidationInterceptor(QueryCache cache) => _cache = cache;

    public QueryCache Cache => _cache;

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return new ValueTask<InterceptionResult<int>>(result);
    }

    // The synchronous paths block because the application called SaveChanges/Commit synchronously.
    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        FlushIfCommittedAsync(eventData.Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return result;
    }

    public async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        await FlushIfCommittedAsync(eventData.Context, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) =>
        FlushIfCommittedAsync(eventData.Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default) =>
        FlushIfCommittedAsync(eventData.Context, cancellationToken).AsTask();

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        FlushAsync(eventData.Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        FlushAsync(eventData.Context, cancellationToken).AsTask();

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Drop(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Drop(eventData.Context);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var pending = _pending.GetValue(context, static _ => new PendingTables());
        lock (pending)
        {
            foreach (var entry in context.ChangeTracker.Entries())
            {
                if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted)
                {
                    QueryCacheTables.AddTables(entry.Metadata, pending.Tags);
                }
            }
        }
    }

    /// <summary>
    /// After SaveChanges, success or failure: with no transaction open, whatever was written is committed (EF's own
    /// transaction ended, or there was none), so invalidate; a failed save may have written some rows, and
    /// invalidating too much only costs a reload. Inside the application's transaction, wait for its commit.
    /// </summary>
    private ValueTask FlushIfCommittedAsync(DbContext? context, CancellationToken cancellationToken) =>
        context is null || context.Database.CurrentTransaction is not null ? ValueTask.CompletedTask : FlushAsync(context, cancellationToken);

    private ValueTask FlushAsync(DbContext? context, CancellationToken cancellationToken)
    {
        if (context is null || !_pending.TryGetValue(context, out var pending))
        {
            return ValueTask.CompletedTask;
        }

        string[] tags;
        lock (pending)
        {
            if (pending.Tags.Count == 0)
            {
                return ValueTask.CompletedTask;
            }

            tags = [.. pending.Tags];
            pending.Tags.Clear();
        }

        // The commit happened: the invalidation must run to the end even if the caller stops waiting now.
        _ = cancellationToken;
        return _cache.InvalidateAfterCommitAsync(tags, CancellationToken.None);
    }

    private void Drop(DbContext? context)
    {
        if (context is not null && _pending.TryGetValue(context, out var pending))
        {
            lock (pending)
            {
                pending.Tags.Clear();
            }
        }
    }

    private sealed class PendingTables
    {
        public SortedSet<string> Tags { get; } = new(StringComparer.Ordinal);
    }
}
