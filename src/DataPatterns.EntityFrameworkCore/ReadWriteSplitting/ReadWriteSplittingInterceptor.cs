using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Transactions;
using DataPatterns.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace DataPatterns.EntityFrameworkCore.ReadWriteSplitting;

/// <summary>
/// Routes each opening of a context's connection: EF Core opens and closes it around every query and SaveChanges, and
/// its <c>RelationalConnection.OpenAsync</c> asks the interceptors before it opens, while no operation holds it (the
/// open count is still 0), so swapping in an already-open routed connection there and suppressing the provider's own open
/// is legal; the replaced connection is disposed by <c>SetDbConnection</c>. An open connection is never swapped, so an
/// explicit transaction or a user-opened connection keeps the node it opened on.
/// </summary>
internal sealed partial class ReadWriteSplittingInterceptor :
    IDbConnectionInterceptor, IDbCommandInterceptor, IDbTransactionInterceptor, ISaveChangesInterceptor
{
    private readonly RoutingSession? _sharedSession;
    private readonly ReadWriteRouter _router;
    private readonly bool _readOnly;
    private readonly ConditionalWeakTable<DbContext, ContextRoutingState> _states = new();
    private readonly ConditionalWeakTable<DbContext, ContextRoutingState>.CreateValueCallback _createState;

    public ReadWriteSplittingInterceptor(RoutingSession? sharedSession, ReadWriteRouter router, bool readOnly)
    {
        _sharedSession = sharedSession;
        _router = router;
        _readOnly = readOnly;
        _createState = CreateState;
    }

    // ---- Which node an open goes to ----

    public DbConnection ConnectionCreated(ConnectionCreatedEventData eventData, DbConnection result)
    {
        if (eventData.Context is { } context)
        {
            StateOf(context).Owned = result;
        }

        return result;
    }

    public InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        if (result.IsSuppressed || RoutableState(connection, eventData) is not { } state)
        {
            return result;
        }

        // The synchronous path is only taken when the user called a synchronous EF API, so opening synchronously is theirs.
        var toReplica = GoesToReplica(state);
        var routed = toReplica ? state.Session.Reads.OpenConnection() : _router.Primary.OpenConnection();
        Swap(state, routed, toReplica);
        return InterceptionResult.Suppress();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<InterceptionResult> ConnectionOpeningAsync(
        DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (result.IsSuppressed || RoutableState(connection, eventData) is not { } state)
        {
            return result;
        }

        var toReplica = GoesToReplica(state);
        var routed = toReplica
            ? await state.Session.Reads.OpenConnectionAsync(cancellationToken).ConfigureAwait(false)
            : await _router.Primary.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        Swap(state, routed, toReplica);
        return InterceptionResult.Suppress();
    }

    // ---- Transactions stay on the primary ----

    public InterceptionResult<DbTransaction> TransactionStarting(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        RefuseOnReplica(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result,
        CancellationToken cancellationToken = default)
    {
        RefuseOnReplica(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public DbTransaction TransactionUsed(DbConnection connection, TransactionEventData eventData, DbTransaction result)
    {
        RefuseOnReplica(eventData.Context);
        return result;
    }

    public ValueTask<DbTransaction> TransactionUsedAsync(
        DbConnection connection, TransactionEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        RefuseOnReplica(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => EndedWithoutCommit(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        EndedWithoutCommit(eventData.Context);
        return Task.CompletedTask;
    }

    // ---- SaveChanges goes to the primary and marks the session ----

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        EnterSaveChanges(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        EnterSaveChanges(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        ExitSaveChanges(eventData.Context, wrote: result > 0);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        ExitSaveChanges(eventData.Context, wrote: result > 0);
        return ValueTask.FromResult(result);
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => ExitSaveChanges(eventData.Context, wrote: false);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        ExitSaveChanges(eventData.Context, wrote: false);
        return Task.CompletedTask;
    }

    public void SaveChangesCanceled(DbContextEventData eventData) => ExitSaveChanges(eventData.Context, wrote: false);

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        ExitSaveChanges(eventData.Context, wrote: false);
        return Task.CompletedTask;
    }

    // ---- Helpers ----

    private ContextRoutingState StateOf(DbContext context) => _states.GetValue(context, _createState);

    private ContextRoutingState CreateState(DbContext context) =>
        new(_sharedSession ?? _router.CreateSession(), context.GetService<IRelationalConnection>());

    private ContextRoutingState? RoutableState(DbConnection connection, ConnectionEventData eventData)
    {
        if (eventData.Context is not { } context)
        {
            return null;
        }

        var state = StateOf(context);
        return ReferenceEquals(connection, state.Owned) ? state : null;
    }

    private bool GoesToReplica(ContextRoutingState state) =>
        _readOnly && state.SavingChanges == 0 && !state.NonQueryPending && Transaction.Current is null;

    private static void Swap(ContextRoutingState state, DbConnection routed, bool onReplica)
    {
        // SetDbConnection resets the command timeout to the configured default; keep one the user set on the facade.
        var timeout = state.Connection.CommandTimeout;
        try
        {
            state.Connection.SetDbConnection(routed, contextOwnsConnection: true);
            state.Connection.CommandTimeout = timeout;
        }
        catch
        {
            routed.Dispose();
            throw;
        }

        if (state.CreatedBeforeOpen is { } command)
        {
            state.CreatedBeforeOpen = null;
            command.Connection = routed;
        }

        state.Owned = routed;
        state.OnReplica = onReplica;
    }

    private void RefuseOnReplica(DbContext? context)
    {
        if (context is not null && StateOf(context) is { OnReplica: true } state)
        {
            // EF opened the connection for the transaction before asking us; give that open back before refusing.
            state.Connection.Close();
            throw new InvalidOperationException(
                $"{context.GetType().Name} is a read-only context (UseReadWriteSplitting with ReadOnly = true): its connection is on a " +
                "replica, and a transaction must run on the primary. Begin the transaction on a read-write context of the same " +
                "routing session, or wrap the read-only context's work in a TransactionScope (its connections then open on the primary).");
        }
    }

    private void Committed(DbContext? context)
    {
        if (context is not null && StateOf(context) is { WroteInTransaction: true } state)
        {
            state.WroteInTransaction = false;
            state.Session.MarkWritten();
        }
    }

    private void EndedWithoutCommit(DbContext? context)
    {
        if (context is not null)
        {
            StateOf(context).WroteInTransaction = false;
        }
    }

    private void EnterSaveChanges(DbContext? context)
    {
        if (context is not null)
        {
            StateOf(context).SavingChanges++;
        }
    }

    private void ExitSaveChanges(DbContext? context, bool wrote)
    {
        if (context is null)
        {
            return;
        }

        var state = StateOf(context);
        state.SavingChanges = Math.Max(0, state.SavingChanges - 1);
        if (wrote)
        {
            state.Wrote(context.Database.CurrentTransaction is not null);
        }
    }
}
