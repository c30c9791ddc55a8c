namespace DataPatterns.Transactions;

/// <summary>
/// One distributed transaction: enlist a participant per database, do the work on their connections, then
/// <see cref="CommitAsync"/>. Disposing a transaction that was not committed rolls it back. The transaction owns its
/// participants and disposes those that are <see cref="IAsyncDisposable"/> once their branch is finished.
/// </summary>
public sealed class DistributedTransaction : IAsyncDisposable
{
    private readonly List<EnlistedBranch> _branches = [];
    private readonly Lock _gate = new();
    private DistributedTransactionStatus _status = DistributedTransactionStatus.Active;

    internal DistributedTransaction(TwoPhaseCommitCoordinator coordinator, Guid id, long startedTimestamp, TimeSpan timeout)
    {
        Coordinator = coordinator;
        Id = id;
        StartedTimestamp = startedTimestamp;
        Timeout = timeout;
    }

    /// <summary>The transaction id (the <c>txid</c> part of every branch's global id).</summary>
    public Guid Id { get; }

    /// <summary>The coordinator that runs this transaction.</summary>
    public TwoPhaseCommitCoordinator Coordinator { get; }

    /// <summary>How long phase 1 may take, counted from <see cref="TwoPhaseCommitCoordinator.Begin"/>.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Where the transaction is in the protocol.</summary>
    public DistributedTransactionStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>The global ids of the branches enlisted so far.</summary>
    public IReadOnlyList<string> GlobalIds
    {
        get
        {
            lock (_gate)
            {
                return _branches.Select(b => b.GlobalId).ToArray();
            }
        }
    }

    /// <summary>Global ids of committed branches whose phase 2 is still being retried in the background.</summary>
    public IReadOnlyList<string> PendingGlobalIds
    {
        get
        {
            lock (_gate)
            {
                return _branches.Where(b => b.PhaseTwoPending).Select(b => b.GlobalId).ToArray();
            }
        }
    }

    internal long StartedTimestamp { get; }

    /// <summary>Phase 2 still running after <see cref="CommitAsync"/> returned; its result lists heuristic outcomes.</summary>
    internal Task<string[]>? PhaseTwo { get; set; }

    /// <summary>
    /// Waits until every participant has acknowledged phase 2 (COMMIT PREPARED), so that the transaction's writes are
    /// visible to every other session. Returns at once when <see cref="CommitAsync"/> already waited for that (the default,
    /// <see cref="TwoPhaseCommitOptions.WaitForPhaseTwo"/>) and nothing is being retried. Call it only after a commit.
    /// </summary>
    /// <exception cref="TransactionHeuristicException">The decision was commit but a participant had rolled back.</exception>
    public async Task WhenCompletedAsync(CancellationToken cancellationToken = default)
    {
        if (PhaseTwo is not { } phaseTwo)
        {
            return;
        }

        var heuristic = await phaseTwo.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (heuristic.Length > 0)
        {
            throw new TransactionHeuristicException(Id, heuristic);
        }
    }

    /// <summary>
    /// Adds a participant and returns the global id its branch will be prepared under. With stateless commit the id
    /// gains the names of every participant at commit (see <see cref="GlobalIds"/> afterwards), and each participant
    /// must be an <see cref="IStatelessParticipant"/> of a registered resource, one branch per resource.
    /// </summary>
    /// <exception cref="TransactionStateException">Commit or rollback has already started.</exception>
    public string Enlist(ITransactionParticipant participant)
    {
        ArgumentNullException.ThrowIfNull(participant);
        lock (_gate)
        {
            if (_status != DistributedTransactionStatus.Active)
            {
                throw new TransactionStateException($"Cannot enlist '{participant.ResourceName}' in transaction {Id:N}: it is {_status}. Enlist every participant before calling CommitAsync, or begin a new transaction.");
            }

            if (_branches.Any(b => ReferenceEquals(b.Participant, participant)))
            {
                throw new TransactionStateException($"The participant for '{participant.ResourceName}' is already enlisted in transaction {Id:N}; enlist each branch once.");
            }

            if (_branches.Count >= GlobalTransactionId.MaxBranches)
            {
                throw new TransactionStateException($"Transaction {Id:N} already has {GlobalTransactionId.MaxBranches} participants, the most one transaction may have.");
            }

            if (Coordinator.Options.StatelessCommit)
            {
                Coordinator.CheckStatelessEnlistment(participant, _branches);
            }

            var globalId = GlobalTransactionId.Format(Coordinator.GlobalIdPrefix, Id, _branches.Count);
            _branches.Add(new EnlistedBranch(participant, globalId));
            return globalId;
        }
    }

    /// <summary>
    /// Commits on every participant or on none: parallel prepare, a durable decision, then phase 2. Returns once the
    /// decision is durable and every reachable participant committed; unreachable ones are committed in the background
    /// (see <see cref="PendingGlobalIds"/>). With <see cref="TwoPhaseCommitOptions.WaitForPhaseTwo"/> off it returns as
    /// soon as the decision is durable and COMMIT PREPARED has been sent: the transaction is committed, but other sessions
    /// may see its writes a moment later (<see cref="WhenCompletedAsync"/> waits for that). Cancellation and the timeout
    /// apply to phase 1 only.
    /// </summary>
    /// <exception cref="TwoPhaseCommitAbortedException">A participant voted no, failed or timed out; everything rolled back.</exception>
    /// <exception cref="TransactionHeuristicException">The decision was commit but a participant had rolled back.</exception>
    /// <exception cref="TransactionStateException">Commit or rollback already started.</exception>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default) => Coordinator.CommitAsync(this, cancellationToken);

    /// <summary>Rolls back every participant. Branches that cannot be reached are rolled back by recovery (presumed abort).</summary>
    /// <exception cref="TransactionStateException">Commit already started.</exception>
    public ValueTask RollbackAsync(CancellationToken cancellationToken = default) => Coordinator.RollbackAsync(this, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Status == DistributedTransactionStatus.Active)
        {
            await Coordinator.RollbackAsync(this, CancellationToken.None).ConfigureAwait(false);
        }
    }

    internal List<EnlistedBranch> StartCompletion(DistributedTransactionStatus next, string operation)
    {
        lock (_gate)
        {
            if (_status != DistributedTransactionStatus.Active)
            {
                throw new TransactionStateException($"Cannot {operation} transaction {Id:N}: it is already {_status}. A transaction completes once; begin a new one.");
            }

            _status = next;
            return [.. _branches];
        }
    }

    internal void SetStatus(DistributedTransactionStatus status)
    {
        lock (_gate)
        {
            _status = status;
        }
    }
}
