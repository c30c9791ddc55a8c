using System.Runtime.CompilerServices;
using DataPatterns.Transactions;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore;

/// <summary>
/// A DbContext's branch of a distributed transaction: forwards the protocol to the resource's branch and detaches the
/// context from the branch's connection before the branch leaves the active state, so that no later use of the context
/// can touch a prepared or finished branch, and no connection outlives the branch.
/// </summary>
/// <remarks>
/// It implements the last-resource and stateless contracts so that wrapping never hides what the inner branch can do;
/// each forwards only when the inner branch supports it (checked at enlistment for stateless commit).
/// </remarks>
internal sealed class DbContextBranch(DbContext context, IDbTransactionBranch branch) : ILastResourceParticipant, IStatelessParticipant, IAsyncDisposable
{
    private static readonly ConditionalWeakTable<DbContext, DbContextBranch> Enlisted = [];

    private readonly List<Func<bool, ValueTask>> _completion = [];
    private string? _connectionString;
    private int _detached;
    private int _completed;

    public string ResourceName => branch.ResourceName;

    /// <summary>The branch's local transaction while it is active (the outbox writes through it).</summary>
    public System.Data.Common.DbTransaction? Transaction => branch.Transaction;

    /// <summary>The branch a context is enlisted in, if any.</summary>
    public static DbContextBranch? Find(DbContext context) => Enlisted.TryGetValue(context, out var found) ? found : null;

    /// <summary>Runs <paramref name="callback"/> once the transaction's outcome is known here (true: committed). It must not throw.</summary>
    public void OnCompleted(Func<bool, ValueTask> callback)
    {
        lock (_completion)
        {
            _completion.Add(callback);
        }
    }

    public async ValueTask AttachAsync(CancellationToken cancellationToken)
    {
        var transaction = branch.Transaction ?? throw new InvalidOperationException($"The branch on '{ResourceName}' has no active transaction to run the context in.");
        var database = context.Database;
        _connectionString = database.GetConnectionString();
        database.SetDbConnection(branch.Connection, contextOwnsConnection: false);
        Enlisted.AddOrUpdate(context, this);
        await database.UseTransactionAsync(transaction, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken)
    {
        Detach();
        return branch.PrepareAsync(globalId, cancellationToken);
    }

    public ValueTask PrepareWithMarkerAsync(string globalId, CancellationToken cancellationToken)
    {
        Detach();
        return branch is IStatelessParticipant stateless
            ? stateless.PrepareWithMarkerAsync(globalId, cancellationToken)
            : throw new InvalidOperationException($"The branch on '{ResourceName}' cannot take part in stateless commit.");
    }

    public async ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken)
    {
        Detach();
        await branch.CommitOnePhaseAsync(cancellationToken).ConfigureAwait(false);
        await CompleteAsync(committed: true).ConfigureAwait(false);
    }

    public bool CanRecordDecisionIn(IFencingDecisionLog decisionLog) =>
        branch is ILastResourceParticipant last && last.CanRecordDecisionIn(decisionLog);

    public async ValueTask CommitWithDecisionAsync(IFencingDecisionLog decisionLog, CommitDecision decision, CancellationToken cancellationToken)
    {
        Detach();
        var last = branch as ILastResourceParticipant
            ?? throw new InvalidOperationException($"The branch on '{ResourceName}' cannot commit with the decision.");
        await last.CommitWithDecisionAsync(decisionLog, decision, cancellationToken).ConfigureAwait(false);
        await CompleteAsync(committed: true).ConfigureAwait(false);
    }

    public async ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        // NotFound after a commit decision means another instance (recovery) finished the commit first.
        var completion = await branch.CommitPreparedAsync(globalId, cancellationToken).ConfigureAwait(false);
        await CompleteAsync(committed: true).ConfigureAwait(false);
        return completion;
    }

    public async ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken)
    {
        Detach();
        await branch.RollbackAsync(globalId, cancellationToken).ConfigureAwait(false);
        await CompleteAsync(committed: false).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Detach();
        if (branch is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask CompleteAsync(bool committed)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        Func<bool, ValueTask>[] callbacks;
        lock (_completion)
        {
            callbacks = [.. _completion];
        }

        foreach (var callback in callbacks)
        {
            await callback(committed).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Gives the context its own connection back: forgets the branch's transaction (EF does not own it, so nothing is
    /// rolled back here), drops the branch's connection and restores the configured connection string, from which EF
    /// opens a fresh connection on the next use.
    /// </summary>
    private void Detach()
    {
        if (Interlocked.Exchange(ref _detached, 1) != 0)
        {
            return;
        }

        Enlisted.Remove(context);
        Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade database;
        try
        {
            database = context.Database;
        }
        catch (ObjectDisposedException)
        {
            // The application disposed the context before the transaction ended: there is nothing to detach.
            return;
        }

        database.CurrentTransaction?.Dispose();
        database.SetDbConnection(null, contextOwnsConnection: true);
        if (_connectionString is not null)
        {
            database.SetConnectionString(_connectionString);
        }
    }
}
