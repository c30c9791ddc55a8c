using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;

namespace DataPatterns.EntityFrameworkCore;

/// <summary>
/// The hooks of a synchronous <c>SaveChanges()</c>: the same steps as the asynchronous ones, through the synchronous
/// APIs of EF Core and of the outbox, so a synchronous save never blocks a thread on asynchronous I/O.
/// </summary>
internal sealed partial class OutboxInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is not { } context)
        {
            return result;
        }

        var (step, state, distributed) = PlanSave(context);
        if (step == SaveStep.Alone)
        {
            WriteAlone(context, state);
        }
        else if (step == SaveStep.InTransaction)
        {
            AppendInTransaction(context.Database.CurrentTransaction!, state, distributed);
        }

        return result;
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (CompleteSave(eventData.Context) is { } alone)
        {
            WriteAlone(eventData.Context!, alone);
        }

        return result;
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        if (AbandonSave(eventData.Context) is { } transaction)
        {
            RollbackToSavepoint(transaction);
        }
    }

    public override void SaveChangesCanceled(DbContextEventData eventData)
    {
        if (AbandonSave(eventData.Context) is { } transaction)
        {
            RollbackToSavepoint(transaction);
        }
    }

    public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        if (WritesAtCommit(eventData.Context) is { } state)
        {
            outbox.Append(transaction, state.SavingMessages(), notifyInTransaction: true);
            state.WrittenAtCommit = true;
        }

        return result;
    }

    private void AppendInTransaction(IDbContextTransaction current, OutboxSaveState state, bool distributed)
    {
        current.CreateSavepoint(Savepoint);
        try
        {
            outbox.Append(current.GetDbTransaction(), state.SavingMessages(), notifyInTransaction: !distributed);
        }
        catch
        {
            RollbackToSavepoint(current);
            state.EndSave();
            throw;
        }
    }

    /// <summary>Events on unchanged entities: EF will run no command, so the outbox commits them in a transaction of its own.</summary>
    private void WriteAlone(DbContext context, OutboxSaveState state)
    {
        try
        {
            using var transaction = context.Database.BeginTransaction();
            outbox.Append(transaction.GetDbTransaction(), state.SavingMessages(), notifyInTransaction: true);
            transaction.Commit();
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

    private void RollbackToSavepoint(IDbContextTransaction transaction)
    {
        try
        {
            transaction.RollbackToSavepoint(Savepoint);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException)
        {
            OutboxLog.SavepointRollbackFailed(logger, ex);
        }
    }
}
