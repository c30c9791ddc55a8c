using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Transactions;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace DataPatterns.EntityFrameworkCore.ReadWriteSplitting;

/// <summary>
/// Commands: a non-query marks the open it causes for the primary and the session as written; a query marked with
/// <c>ReadFromReplica()</c> is pointed at a replica connection of the session. EF Core opens the connection before it
/// creates a reader's command, so the mark is only visible here, after the open: the command borrows a replica connection
/// for its reader and gives it back when EF disposes the reader.
/// </summary>
internal sealed partial class ReadWriteSplittingInterceptor
{
    public DbCommand CommandCreated(CommandEndEventData eventData, DbCommand result)
    {
        // Non-query and scalar commands are created before the connection opens: the open that follows must point the
        // command at the connection it swaps in, and a non-query's open goes to the primary.
        if (eventData.Context is { } context && result.Connection is { State: not ConnectionState.Open })
        {
            var state = StateOf(context);
            state.CreatedBeforeOpen = result;
            state.NonQueryPending = eventData.ExecuteMethod == DbCommandMethod.ExecuteNonQuery;
        }

        return result;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        AfterNonQuery(command, eventData);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        AfterNonQuery(command, eventData);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<DbDataReader> ReaderExecuting(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        if (ReplicaTarget(command, eventData) is { } state)
        {
            Retarget(state, command, state.Session.Reads.OpenConnection());
        }

        return result;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (ReplicaTarget(command, eventData) is { } state)
        {
            Retarget(state, command, await state.Session.Reads.OpenConnectionAsync(cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    public InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        // EF has closed the reader by now; the borrowed connection goes back, and EF goes on to close its own connection
        // (suppressing here would skip that close and keep the context's connection open).
        if (eventData.Context is { } context && StateOf(context) is var state && ReferenceEquals(state.RetargetedCommand, command))
        {
            state.ReleaseRetargeted();
        }

        return result;
    }

    public void CommandFailed(DbCommand command, CommandErrorEventData eventData) => AfterFailure(command, eventData);

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterFailure(command, eventData);
        return Task.CompletedTask;
    }

    public void CommandCanceled(DbCommand command, CommandEndEventData eventData) => AfterFailure(command, eventData);

    public Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterFailure(command, eventData);
        return Task.CompletedTask;
    }

    private void AfterNonQuery(DbCommand command, CommandEventData eventData)
    {
        if (eventData.Context is { } context)
        {
            var state = StateOf(context);
            state.NonQueryPending = false;
            state.Wrote(command.Transaction is not null);
        }
    }

    private void AfterFailure(DbCommand command, CommandEventData eventData)
    {
        if (eventData.Context is not { } context)
        {
            return;
        }

        var state = StateOf(context);
        state.NonQueryPending = false;
        state.CreatedBeforeOpen = null;
        if (ReferenceEquals(state.RetargetedCommand, command))
        {
            state.ReleaseRetargeted();
        }
    }

    private ContextRoutingState? ReplicaTarget(DbCommand command, CommandEventData eventData)
    {
        if (eventData.Context is not { } context)
        {
            return null;
        }

        var state = StateOf(context);
        if (state.OnReplica)
        {
            // A connection opened on a replica and then enlisted in a TransactionScope would read outside the transaction.
            if (Transaction.Current is not null)
            {
                throw new InvalidOperationException(
                    $"{context.GetType().Name}'s connection is open on a replica inside a TransactionScope: queries in a transaction must " +
                    "run on the primary. Open the connection (or run the first query) after the TransactionScope starts, or let " +
                    "EF Core open and close the connection itself.");
            }

            return null;
        }

        return ReplicaTag.IsOn(command.CommandText) && command.Transaction is null && Transaction.Current is null ? state : null;
    }

    private static void Retarget(ContextRoutingState state, DbCommand command, DbConnection replica)
    {
        state.ReleaseRetargeted();
        state.RetargetedCommand = command;
        state.RetargetedConnection = replica;
        command.Connection = replica;
    }
}
