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
internal sealed class QueryCacheInvalidationInterceptor : DbCommandInterceptor, ISaveChangesInterceptor, IDbTransactionInterceptor
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
        EndSaveAsync(eventData.Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return result;
    }

    public async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        await EndSaveAsync(eventData.Context, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) =>
        EndSaveAsync(eventData.Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default) =>
        EndSaveAsync(eventData.Context, cancellationToken).AsTask();

    public void SaveChangesCanceled(DbContextEventData eventData) =>
        EndSaveAsync(eventData.Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default) =>
        EndSaveAsync(eventData.Context, CancellationToken.None).AsTask();

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

    // Statements that write without the change tracker (ExecuteUpdate/Delete, ExecuteSql): SaveChanges's own
    // statements pass here too, inside its transaction or followed by SavedChanges, so they only add what it adds.
    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        if (CollectCommand(command, eventData.Context))
        {
            FlushIfCommittedAsync(eventData.Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        return result;
    }

    public override async ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (CollectCommand(command, eventData.Context))
        {
            await FlushIfCommittedAsync(eventData.Context, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Adds the statement's table to the pending ones; true when it wrote one and SaveChanges is not running.</summary>
    private bool CollectCommand(DbCommand command, DbContext? context)
    {
        if (context is null)
        {
            return false;
        }

        var pending = _pending.GetValue(context, static _ => new PendingTables());
        lock (pending)
        {
            var before = pending.Tags.Count;
            QueryCacheCommandTables.Collect(command, context, pending.Tags);
            return pending.Tags.Count > before && !pending.Saving;
        }
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
            pending.Saving = true;
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

    private ValueTask EndSaveAsync(DbContext? context, CancellationToken cancellationToken)
    {
        if (context is not null && _pending.TryGetValue(context, out var pending))
        {
            lock (pending)
            {
                pending.Saving = false;
            }
        }

        return FlushIfCommittedAsync(context, cancellationToken);
    }

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
        /// <summary>Between SavingChanges and SavedChanges/SaveChangesFailed: the save flushes when it ends.</summary>
        public bool Saving { get; set; }

        public SortedSet<string> Tags { get; } = new(StringComparer.Ordinal);
    }
}
