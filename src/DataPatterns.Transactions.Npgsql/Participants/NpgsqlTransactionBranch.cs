using Npgsql;

namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// One PostgreSQL connection with an open transaction, enlisted in a <see cref="DistributedTransaction"/>. Run the work on
/// <see cref="Connection"/> (and <see cref="Transaction"/>); the coordinator prepares it with <c>PREPARE TRANSACTION</c>,
/// completes it with <c>COMMIT PREPARED</c> or <c>ROLLBACK PREPARED</c>, and disposes it when its branch is finished.
/// With last-resource commit, the branch whose database holds the <see cref="NpgsqlDecisionLog"/> is not prepared: it
/// commits with the decision row inside its own transaction.
/// </summary>
public sealed class NpgsqlTransactionBranch : ILastResourceParticipant, IStatelessParticipant, IDbTransactionBranch, IAsyncDisposable
{
    private readonly NpgsqlTransactionResource _resource;
    private NpgsqlTransaction? _transaction;
    private bool _prepareStarted;
    private int _disposed;

    internal NpgsqlTransactionBranch(NpgsqlTransactionResource resource, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _resource = resource;
        Connection = connection;
        _transaction = transaction;
    }

    /// <summary>The connection to run the unit of work on.</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>The local transaction, for APIs that want one passed explicitly (null once prepared).</summary>
    public NpgsqlTransaction? Transaction => _transaction;

    /// <inheritdoc />
    public string ResourceName => _resource.Name;

    /// <inheritdoc />
    System.Data.Common.DbConnection IDbTransactionBranch.Connection => Connection;

    /// <inheritdoc />
    System.Data.Common.DbTransaction? IDbTransactionBranch.Transaction => _transaction;

    /// <inheritdoc />
    public async ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken)
    {
        var quoted = PostgresGlobalIds.Quote(globalId);
        _prepareStarted = true;
        if (!_resource.DetectReadOnly)
        {
            await using var prepare = new NpgsqlCommand($"PREPARE TRANSACTION {quoted}", Connection);
            await prepare.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _transaction = null;
            return PrepareVote.Prepared;
        }

        // One round trip: did the transaction write anything (an xid is assigned on the first write), then prepare it.
        bool readOnly;
        await using (var batch = new NpgsqlBatch(Connection))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_current_xact_id_if_assigned() IS NULL"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"PREPARE TRANSACTION {quoted}"));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            readOnly = reader.GetBoolean(0);
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
                // Consume the PREPARE's result so its error, if any, surfaces here.
            }
        }

        _transaction = null;
        if (readOnly)
        {
            // Nothing to commit: release the prepared (empty) transaction now; phase 2 skips this branch.
            await PostgresGlobalIds.CompleteAsync(Connection, "ROLLBACK", globalId, cancellationToken).ConfigureAwait(false);
            return PrepareVote.ReadOnly;
        }

        return PrepareVote.Prepared;
    }

    /// <inheritdoc />
    /// <exception cref="BranchFencedException">A recovery fenced this participant first: the transaction aborted.</exception>
    public async ValueTask PrepareWithMarkerAsync(string globalId, CancellationToken cancellationToken)
    {
        _prepareStarted = true;
        await _resource.EnsureMarkersAsync(cancellationToken).ConfigureAwait(false);
        await PostgresBranchMarkers.PrepareWithMarkerAsync(Connection, globalId, cancellationToken).ConfigureAwait(false);
        _transaction = null;
    }

    /// <inheritdoc />
    public async ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken)
    {
        var transaction = _transaction ?? throw new TransactionStateException($"The branch on '{ResourceName}' is not active; it cannot commit in one phase.");
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public bool CanRecordDecisionIn(IFencingDecisionLog decisionLog) =>
        decisionLog is NpgsqlDecisionLog log && log.Location == _resource.Location;

    /// <inheritdoc />
    public async ValueTask CommitWithDecisionAsync(IFencingDecisionLog decisionLog, CommitDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decisionLog is not NpgsqlDecisionLog log || log.Location != _resource.Location)
        {
            throw new ArgumentException($"The branch on '{ResourceName}' can only record a decision in a PostgreSQL decision log in its own database.", nameof(decisionLog));
        }

        var transaction = _transaction ?? throw new TransactionStateException($"The branch on '{ResourceName}' is not active; it cannot commit with the decision.");
        await log.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

        // One round trip: the decision row and this branch's work commit together, or (on any error, such as recovery's
        // abort row already holding the key) neither does. The commit is the decision, so it is flushed whatever the
        // session's synchronous_commit says (PREPARE and COMMIT PREPARED always are).
        await using var batch = new NpgsqlBatch(Connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = on"));
        if (transaction.IsolationLevel is System.Data.IsolationLevel.ReadCommitted or System.Data.IsolationLevel.Unspecified
            && log.TakeForgottenDelete() is { } delete)
        {
            // Finished decisions ride along; not under snapshot isolation, where housekeeping could fail the user's work.
            batch.BatchCommands.Add(delete);
        }

        batch.BatchCommands.Add(log.CreateRecordCommand(decision, replayable: false));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        _transaction = null;
    }

    /// <inheritdoc />
    public async ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        if (Connection.FullState == System.Data.ConnectionState.Open)
        {
            return await PostgresGlobalIds.CompleteAsync(Connection, "COMMIT", globalId, cancellationToken).ConfigureAwait(false);
        }

        return await _resource.CommitPreparedAsync(globalId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken)
    {
        if (!_prepareStarted)
        {
            if (_transaction is { } transaction && Connection.FullState == System.Data.ConnectionState.Open)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        // The branch may be prepared (or its PREPARE may still be running on the connection): roll back by global id
        // on a connection of our own; a branch prepared after this is rolled back by recovery (presumed abort).
        await _resource.RollbackPreparedAsync(globalId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the connection to the pool (called by the distributed transaction when the branch is finished).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_transaction is { } transaction)
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }

        await Connection.DisposeAsync().ConfigureAwait(false);
    }
}
