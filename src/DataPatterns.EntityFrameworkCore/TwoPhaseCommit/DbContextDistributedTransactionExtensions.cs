using System.Data;
using DataPatterns.Transactions;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore;

/// <summary>Enlists EF Core contexts in a <see cref="DistributedTransaction"/> of the two-phase-commit coordinator.</summary>
public static class DbContextDistributedTransactionExtensions
{
    /// <summary>
    /// Opens a branch on the resource registered as <paramref name="resourceName"/>, enlists it in
    /// <paramref name="transaction"/> and points <paramref name="context"/> at the branch's connection and transaction, so
    /// that its <c>SaveChanges</c> and queries run inside the branch the coordinator then prepares and commits (or rolls
    /// back). When the branch is finished (prepared, committed or rolled back) the context is detached from it and opens a
    /// fresh connection from its own configuration the next time it is used.
    /// </summary>
    /// <param name="transaction">The distributed transaction.</param>
    /// <param name="context">A context with no transaction and no open connection of its own.</param>
    /// <param name="resourceName">The resource's name as registered with the coordinator (e.g. "orders").</param>
    /// <param name="cancellationToken">Cancels opening the branch.</param>
    /// <returns>A task that completes when the context runs inside the branch.</returns>
    /// <exception cref="KeyNotFoundException">No resource has that name.</exception>
    /// <exception cref="InvalidOperationException">
    /// The context already has a transaction or an open connection, is already enlisted, uses another database client than
    /// the resource, or the resource cannot open ADO.NET branches.
    /// </exception>
    public static ValueTask EnlistDbContextAsync(this DistributedTransaction transaction, DbContext context, string resourceName, CancellationToken cancellationToken = default) =>
        EnlistDbContextAsync(transaction, context, resourceName, IsolationLevel.ReadCommitted, cancellationToken);

    /// <summary>As <see cref="EnlistDbContextAsync(DistributedTransaction, DbContext, string, CancellationToken)"/>, with the branch's isolation level.</summary>
    /// <param name="transaction">The distributed transaction.</param>
    /// <param name="context">A context with no transaction and no open connection of its own.</param>
    /// <param name="resourceName">The resource's name as registered with the coordinator.</param>
    /// <param name="isolationLevel">The branch's isolation level.</param>
    /// <param name="cancellationToken">Cancels opening the branch.</param>
    /// <returns>A task that completes when the context runs inside the branch.</returns>
    public static async ValueTask EnlistDbContextAsync(this DistributedTransaction transaction, DbContext context, string resourceName, IsolationLevel isolationLevel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceName);
        var contextName = context.GetType().Name;
        var ownConnection = CheckCanEnlist(context, contextName);
        if (transaction.Coordinator.GetResource(resourceName) is not IDbTransactionResource resource)
        {
            throw new InvalidOperationException($"The resource '{resourceName}' cannot host a DbContext: it does not open branches on ADO.NET connections (IDbTransactionResource). Register it with a provider that does, such as UseNpgsql(\"{resourceName}\", ...).");
        }

        var branch = await resource.OpenDbBranchAsync(isolationLevel, cancellationToken).ConfigureAwait(false);
        DbContextBranch? participant = null;
        try
        {
            if (!ownConnection.GetType().IsInstanceOfType(branch.Connection))
            {
                throw new InvalidOperationException($"The resource '{resourceName}' opens {branch.Connection.GetType().Name} connections, but {contextName} uses {ownConnection.GetType().Name} connections (its EF Core provider). Enlist the context in a resource of the same database client.");
            }

            if (transaction.Coordinator.Options.StatelessCommit && branch is not IStatelessParticipant)
            {
                throw new InvalidOperationException($"The resource '{resourceName}' opens branches ({branch.GetType().Name}) that cannot take part in stateless commit (IStatelessParticipant); turn TwoPhaseCommitOptions.StatelessCommit off or use a resource that supports it.");
            }

            participant = new DbContextBranch(context, branch);
            await participant.AttachAsync(cancellationToken).ConfigureAwait(false);
            transaction.Enlist(participant);
        }
        catch
        {
            if (participant is not null)
            {
                await participant.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await DisposeBranchAsync(branch).ConfigureAwait(false);
            }

            throw;
        }
    }

    private static System.Data.Common.DbConnection CheckCanEnlist(DbContext context, string contextName)
    {
        if (!context.Database.IsRelational())
        {
            throw new InvalidOperationException($"{contextName} uses a non-relational EF Core provider; only relational contexts can be enlisted in a distributed transaction.");
        }

        if (DbContextBranch.Find(context) is { } existing)
        {
            throw new InvalidOperationException($"{contextName} is already enlisted in a distributed transaction (resource '{existing.ResourceName}'); a context runs in one branch at a time. Use another context instance for the other resource.");
        }

        if (context.Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException($"{contextName} already has a transaction of its own (BeginTransaction or UseTransaction). Commit or dispose it before enlisting the context, or enlist a fresh context: its work must run in the distributed transaction's branch.");
        }

        var connection = context.Database.GetDbConnection();
        if (connection.State != ConnectionState.Closed)
        {
            throw new InvalidOperationException($"{contextName} already has an open connection of its own ({connection.State}). Close it (Database.CloseConnection) before enlisting the context, or enlist a fresh context: the branch brings its own connection.");
        }

        return connection;
    }

    private static ValueTask DisposeBranchAsync(IDbTransactionBranch branch) =>
        branch is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
