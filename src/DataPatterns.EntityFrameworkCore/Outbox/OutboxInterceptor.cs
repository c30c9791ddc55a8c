using System.Data.Common;
using System.Runtime.CompilerServices;
using DataPatterns.Cqrs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace DataPatterns.EntityFrameworkCore;

/// <summary>
/// Writes the events of tracked <see cref="IHasOutboxEvents"/> entities into the outbox inside the save's transaction.
/// </summary>
/// <remarks>
/// Without a transaction of the application's, the save is made to run in one EF begins (AutoTransactionBehavior.Always)
/// and the rows are written when EF commits it (TransactionCommitting): a failed write fails the commit, EF rolls back,
/// and SaveChanges throws before it accepts any change, so the entities and their events stay as they were. Inside the
/// application's transaction (or a distributed branch) the rows are written before the entity commands, after a
/// savepoint that a failed save rolls back to, so a retried save never writes them twice; the events leave the entities
/// when that transaction commits.
/// </remarks>
internal sealed partial class OutboxInterceptor(ITransactionalOutbox outbox, ILogger logger) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private const string Savepoint = "datapatterns_outbox";

    private readonly ConditionalWeakTable<DbContext, OutboxSaveState> _states = [];

    /// <summary>What a save has to write before EF runs its commands.</summary>
    private enum SaveStep
    {
        /// <summary>No events to write.</summary>
        None,

        /// <summary>Events on unchanged entities: written and committed in a transaction of their own now.</summary>
        Alone,

        /// <summary>EF will begin the save's transaction; the events are written when it commits.</summary>
        AtCommit,

        /// <summary>Inside the application's (or a distributed) transaction: written now, after a savepoint.</summary>
        InTransaction,
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is not { } context)
        {
            return result;
        }

        var (step, state, distributed) = PlanSave(context);
        if (step == SaveStep.Alone)
        {
            await WriteAloneAsync(context, state, cancellationToken).ConfigureAwait(false);
        }
        else if (step == SaveStep.InTransaction)
        {
            await AppendInTransactionAsync(context.Database.CurrentTransaction!, state, distributed, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (CompleteSave(eventData.Context) is { } alone)
        {
            await WriteAloneAsync(eventData.Context!, alone, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    public override async Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        if (AbandonSave(eventData.Context) is { } transaction)
        {
            await RollbackToSavepointAsync(transaction).ConfigureAwait(false);
        }
    }

    public override async Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        if (AbandonSave(eventData.Context) is { } transaction)
        {
            await RollbackToSavepointAsync(transaction).ConfigureAwait(false);
        }
    }

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        OnStarted(eventData.Context, result);
        return result;
    }

    public ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        OnStarted(eventData.Context, result);
        return ValueTask.FromResult(result);
    }

    public async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (WritesAtCommit(eventData.Context) is { } state)
        {
            await outbox.AppendAsync(transaction, state.SavingMessages(), notifyInTransaction: true, cancellationToken).ConfigureAwait(false);
            state.WrittenAtCommit = true;
        }

        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => OnEnded(eventData.Context, transaction, committed: true);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        OnEnded(eventData.Context, transaction, committed: true);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => OnEnded(eventData.Context, transaction, committed: false);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        OnEnded(eventData.Context, transaction, committed: false);
        return Task.CompletedTask;
    }

    // A commit that failed may or may not have happened; keeping the events risks a duplicate, never a loss.
    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => OnEnded(eventData.Context, transaction, committed: false);

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        OnEnded(eventData.Context, transaction, committed: false);
        return Task.CompletedTask;
    }

    /// <summary>Decides what the save writes, with no I/O: the synchronous and asynchronous hooks share it.</summary>
    private (SaveStep Step, OutboxSaveState State, bool Distributed) PlanSave(DbContext context)
    {
        var state = _states.GetValue(context, static _ => new OutboxSaveState());
        var current = context.Database.CurrentTransaction;
        var transaction = current?.GetDbTransaction();
        if (state.PendingTransaction is not null && !ReferenceEquals(state.PendingTransaction, transaction))
        {
            // That transaction ended without a commit the interceptor saw: its rows are gone, write the events again.
            state.ForgetPending();
        }

        if (!Collect(context, state))
        {
            return (SaveStep.None, state, false);
        }

        if (current is null)
        {
            if (!context.ChangeTracker.HasChanges())
            {
                return (SaveStep.Alone, state, false);
            }

            state.OwnsSaveTransaction = true;
            state.PreviousBehavior = context.Database.AutoTransactionBehavior;
            context.Database.AutoTransactionBehavior = AutoTransactionBehavior.Always;
            return (SaveStep.AtCommit, state, false);
        }

        var distributed = DbContextBranch.Find(context) is { } branch && ReferenceEquals(branch.Transaction, transaction);
        if (!distributed && !ReferenceEquals(transaction, state.ApplicationTransaction))
        {
            state.EndSave();
            throw new InvalidOperationException($"{context.GetType().Name} saves outbox events inside a transaction passed to UseTransaction, whose commit the outbox cannot see (it would not know when to remove the events from the entities). Begin the transaction with Database.BeginTransaction, enlist the context with EnlistDbContextAsync, or save without a transaction of your own.");
        }

        return (SaveStep.InTransaction, state, distributed);
    }

    private async ValueTask AppendInTransactionAsync(IDbContextTransaction current, OutboxSaveState state, bool distributed, CancellationToken cancellationToken)
    {
        await current.CreateSavepointAsync(Savepoint, cancellationToken).ConfigureAwait(false);
        try
        {
            await outbox.AppendAsync(current.GetDbTransaction(), state.SavingMessages(), notifyInTransaction: !distributed, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await RollbackToSavepointAsync(current).ConfigureAwait(false);
            state.EndSave();
            throw;
        }
    }

    private static bool Collect(DbContext context, OutboxSaveState state)
    {
        List<(IHasOutboxEvents, int, int)>? saving = null;
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.Entity is IHasOutboxEvents entity)
            {
                var written = state.Pending.GetValueOrDefault(entity);
                var count = entity.OutboxEvents.Count - written;
                if (count > 0)
                {
                    (saving ??= []).Add((entity, written, count));
                }
            }
        }

        state.Saving = saving;
        return saving is not null;
    }

    /// <summary>Events on unchanged entities: EF will run no command, so the outbox commits them in a transaction of its own.</summary>
    private async ValueTask WriteAloneAsync(DbContext context, OutboxSaveState state, CancellationToken cancellationToken)
    {
        try
        {
            await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await outbox.AppendAsync(transaction.GetDbTransaction(), state.SavingMessages(), notifyInTransaction: true, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (entity, _, count) in state.Saving!)
            {
                entity.RemoveOutboxEvents(count);
            }
        }
        finally
        {
            state.EndSave();
        }
    }

    /// <summary>The state whose events ride on the commit EF is about to make, or null.</summary>
    private OutboxSaveState? WritesAtCommit(DbContext? context) =>
        context is not null && _states.TryGetValue(context, out var state) && state.OwnsSaveTransaction && state.Saving is not null && !state.WrittenAtCommit
            ? state
            : null;

    /// <summary>Settles a save EF completed; returns the state when its events must still be committed on their own.</summary>
    private OutboxSaveState? CompleteSave(DbContext? context)
    {
        if (context is null || !_states.TryGetValue(context, out var state) || state.Saving is null)
        {
            return null;
        }

        if (state.OwnsSaveTransaction)
        {
            context.Database.AutoTransactionBehavior = state.PreviousBehavior;
            if (state.WrittenAtCommit)
            {
                foreach (var (entity, _, count) in state.Saving)
                {
                    entity.RemoveOutboxEvents(count);
                }

                state.EndSave();
                return null;
            }

            // EF committed without a transaction commit to ride on (it ran no command): commit the events on their own.
            state.OwnsSaveTransaction = false;
            return state;
        }

        var transaction = context.Database.CurrentTransaction!.GetDbTransaction();
        state.MovePendingInto(transaction);
        state.EndSave();
        if (DbContextBranch.Find(context) is { } branch && !state.CompletionRegistered)
        {
            state.CompletionRegistered = true;
            branch.OnCompleted(committed => CompleteDistributedAsync(state, transaction, committed));
        }

        return null;
    }

    private async ValueTask CompleteDistributedAsync(OutboxSaveState state, DbTransaction transaction, bool committed)
    {
        if (!ReferenceEquals(state.PendingTransaction, transaction))
        {
            return;
        }

        if (!committed)
        {
            state.ForgetPending();
            return;
        }

        state.CommitPending();
        try
        {
            // PREPARE TRANSACTION refuses a transaction that ran NOTIFY, so the readers are woken after the commit.
            await outbox.NotifyReadersAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The commit stands; the runners poll, so a lost wake-up only delays them.
            OutboxLog.NotifyAfterCommitFailed(logger, ex);
        }
    }

    /// <summary>Undoes what a failed or cancelled save set up; returns the transaction to roll back to the savepoint, or null.</summary>
    private IDbContextTransaction? AbandonSave(DbContext? context)
    {
        if (context is null || !_states.TryGetValue(context, out var state) || state.Saving is null)
        {
            return null;
        }

        IDbContextTransaction? rollback = null;
        if (state.OwnsSaveTransaction)
        {
            context.Database.AutoTransactionBehavior = state.PreviousBehavior;
        }
        else
        {
            rollback = context.Database.CurrentTransaction;
        }

        state.EndSave();
        return rollback;
    }

    private async ValueTask RollbackToSavepointAsync(IDbContextTransaction transaction)
    {
        try
        {
            // Not cancellable: a half-undone save would leave the rows for a retry to double.
            await transaction.RollbackToSavepointAsync(Savepoint, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException)
        {
            OutboxLog.SavepointRollbackFailed(logger, ex);
        }
    }

    private void OnStarted(DbContext? context, DbTransaction transaction)
    {
        if (context is not null)
        {
            var state = _states.GetValue(context, static _ => new OutboxSaveState());
            if (state.Saving is null)
            {
                state.ApplicationTransaction = transaction;
            }
        }
    }

    private void OnEnded(DbContext? context, DbTransaction transaction, bool committed)
    {
        if (context is null || !_states.TryGetValue(context, out var state))
        {
            return;
        }

        if (ReferenceEquals(transaction, state.PendingTransaction))
        {
            if (committed)
            {
                state.CommitPending();
            }
            else
            {
                state.ForgetPending();
            }
        }

        if (ReferenceEquals(transaction, state.ApplicationTransaction))
        {
            state.ApplicationTransaction = null;
        }
    }
}
