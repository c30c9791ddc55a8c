using System.Data.Common;
using MySqlConnector;

namespace DataPatterns.Transactions.MySql;

/// <summary>
/// One MariaDB (or MySQL) connection with an XA transaction on it, enlisted in a <see cref="DistributedTransaction"/>.
/// Run the work on <see cref="Connection"/> (no <see cref="MySqlTransaction"/>: the XA transaction is the transaction);
/// the coordinator ends and prepares it with <c>XA END</c> + <c>XA PREPARE</c>, completes it with <c>XA COMMIT</c> or
/// <c>XA ROLLBACK</c> (or <c>XA COMMIT … ONE PHASE</c> when it is the only participant), and disposes it when its branch
/// is finished. The branch's xid carries its global id (see <see cref="MySqlTransactionResource"/>).
/// </summary>
public sealed class MySqlTransactionBranch : ILastResourceParticipant, IDbTransactionBranch, IAsyncDisposable
{
    private readonly MySqlTransactionResource _resource;
    private readonly string _isolation;
    private MySqlXid? _xid;
    private bool _active;
    private bool _prepareStarted;
    private volatile bool _preparing;
    private bool _settled;
    private int _disposed;

    internal MySqlTransactionBranch(MySqlTransactionResource resource, MySqlConnection connection, string isolation)
    {
        _resource = resource;
        Connection = connection;
        _isolation = isolation;
    }

    /// <summary>The connection to run the unit of work on (inside the XA transaction once <see cref="StartAsync"/> ran).</summary>
    public MySqlConnection Connection { get; }

    /// <summary>The global id the XA transaction was started under, or null before <see cref="StartAsync"/>.</summary>
    public string? GlobalId => _xid?.GlobalId;

    /// <inheritdoc />
    public string ResourceName => _resource.Name;

    /// <inheritdoc />
    DbConnection IDbTransactionBranch.Connection => Connection;

    /// <inheritdoc />
    /// <remarks>Always null: an XA transaction has no ADO.NET transaction object; commands run on the connection alone.</remarks>
    DbTransaction? IDbTransactionBranch.Transaction => null;

    /// <summary>
    /// Starts the XA transaction (<c>XA START</c>) under <paramref name="globalId"/>, the id
    /// <see cref="DistributedTransaction.Enlist"/> returned for this branch. <see cref="MySqlTransactionResource.BeginBranchAsync"/>
    /// does this itself; call it only after <see cref="MySqlTransactionResource.OpenBranchAsync"/> and your own enlistment,
    /// before running any SQL.
    /// </summary>
    /// <exception cref="TransactionStateException">The branch was already started.</exception>
    /// <exception cref="ArgumentException">The global id does not fit an XA id (see <see cref="MySqlTransactionResource"/>).</exception>
    public async ValueTask StartAsync(string globalId, CancellationToken cancellationToken = default)
    {
        var xid = MySqlXid.From(globalId);
        if (_xid is not null)
        {
            throw new TransactionStateException($"The branch on '{ResourceName}' was already started as '{_xid.Value.GlobalId}'; start each branch once.");
        }

        // SET TRANSACTION (without SESSION) applies to the next transaction only: the pooled session keeps its default.
        await XaCommands.ExecuteAsync(Connection, $"SET TRANSACTION ISOLATION LEVEL {_isolation}; XA START {xid.SqlLiteral}", cancellationToken).ConfigureAwait(false);
        _xid = xid;
        _active = true;
    }

    /// <inheritdoc />
    /// <remarks>
    /// A branch that wrote nothing is still prepared: MariaDB releases such a branch at <c>XA PREPARE</c> itself and then
    /// answers its <c>XA COMMIT</c> or <c>XA ROLLBACK</c> with XA_RBROLLBACK (1402), which phase 2 counts as done.
    /// </remarks>
    public async ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken)
    {
        var xid = RequireStarted(globalId);
        _prepareStarted = true;
        _preparing = true;
        try
        {
            await XaCommands.ExecuteAsync(Connection, $"XA END {xid.SqlLiteral}; XA PREPARE {xid.SqlLiteral}", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _preparing = false;
        }

        _active = false;
        return PrepareVote.Prepared;
    }

    /// <inheritdoc />
    public async ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken)
    {
        var xid = _xid is { } started && _active ? started : throw new TransactionStateException($"The branch on '{ResourceName}' is not active; it cannot commit in one phase.");
        await XaCommands.ExecuteAsync(Connection, $"XA END {xid.SqlLiteral}; XA COMMIT {xid.SqlLiteral} ONE PHASE", cancellationToken).ConfigureAwait(false);
        _active = false;
        _settled = true;
    }

    /// <inheritdoc />
    public bool CanRecordDecisionIn(IFencingDecisionLog decisionLog) =>
        decisionLog is MySqlDecisionLog log && log.Location == _resource.Location;

    /// <inheritdoc />
    public async ValueTask CommitWithDecisionAsync(IFencingDecisionLog decisionLog, CommitDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decisionLog is not MySqlDecisionLog log || log.Location != _resource.Location)
        {
            throw new ArgumentException($"The branch on '{ResourceName}' can only record a decision in a MariaDB decision log in its own database.", nameof(decisionLog));
        }

        var xid = _xid is { } started && _active ? started : throw new TransactionStateException($"The branch on '{ResourceName}' is not active; it cannot commit with the decision.");
        await log.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

        // The decision row joins the branch's own XA transaction, and the one-phase commit makes both durable together:
        // a fence (recovery's abort row) already holding the key makes the insert fail, and then nothing commits.
        await using (var record = log.CreateRecordCommand(Connection, decision, replayable: false))
        {
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await XaCommands.ExecuteAsync(Connection, $"XA END {xid.SqlLiteral}; XA COMMIT {xid.SqlLiteral} ONE PHASE", cancellationToken).ConfigureAwait(false);
        _active = false;
        _settled = true;
    }

    /// <inheritdoc />
    public async ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        // A prepared branch stays attached to the session that prepared it (other sessions get XAER_NOTA) until that
        // session ends, so phase 2 runs on the branch's own connection while it is open.
        if (!_preparing && Connection.State == System.Data.ConnectionState.Open)
        {
            var completion = await XaCommands.CommitAsync(Connection, MySqlXid.From(globalId), cancellationToken).ConfigureAwait(false);
            _settled = true;
            return completion;
        }

        return await _resource.CommitPreparedAsync(globalId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken)
    {
        if (_xid is not { } xid)
        {
            return; // never started: nothing on the server
        }

        if (!_prepareStarted)
        {
            if (_active && Connection.State == System.Data.ConnectionState.Open)
            {
                await XaCommands.ExecuteAsync(Connection, $"XA END {xid.SqlLiteral}", cancellationToken).ConfigureAwait(false);
                _active = false;
                await XaCommands.RollbackAsync(Connection, xid, cancellationToken).ConfigureAwait(false);
                _settled = true;
            }

            return;
        }

        if (!_preparing && Connection.State == System.Data.ConnectionState.Open)
        {
            // Prepared (attached to this session), or left idle by a failed XA PREPARE: both roll back here.
            await XaCommands.RollbackAsync(Connection, xid, cancellationToken).ConfigureAwait(false);
            _settled = true;
            return;
        }

        // The XA PREPARE may still be running on the branch's connection, or the connection is gone: roll back by xid on a
        // connection of our own. A branch still attached to its session is unknown to others (XAER_NOTA); disposal ends
        // that session, which rolls back an unprepared branch and leaves a prepared one to recovery (presumed abort).
        await _resource.RollbackPreparedAsync(xid.GlobalId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns the connection to the pool (called by the distributed transaction when the branch is finished). A branch
    /// that was not settled on it (a failure in either phase) must not stay attached to a pooled session, where no other
    /// session could complete it: its connection is closed instead (the pool is cleared, which closes it on return), so the
    /// server rolls back an unprepared branch and hands a prepared one to <c>XA RECOVER</c> for recovery.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_xid is not null && !_settled)
        {
            MySqlConnection.ClearPool(Connection);
        }

        await Connection.DisposeAsync().ConfigureAwait(false);
    }

    private MySqlXid RequireStarted(string globalId)
    {
        if (_xid is not { } xid)
        {
            throw new TransactionStateException($"The branch on '{ResourceName}' was never started: call StartAsync with the global id Enlist returned (BeginBranchAsync and EnlistMySqlAsync do both).");
        }

        if (!string.Equals(xid.GlobalId, globalId, StringComparison.Ordinal))
        {
            throw new TransactionStateException($"The branch on '{ResourceName}' was started as '{xid.GlobalId}' but is asked to prepare as '{globalId}'. Start it with the id Enlist returned for it.");
        }

        return xid;
    }
}
