namespace DataPatterns.Transactions;

/// <summary>
/// One branch of a distributed transaction: a connection with work in progress on one resource (a database).
/// The coordinator drives it through prepare and phase 2; the branch is told its global id when it is asked to prepare.
/// </summary>
public interface ITransactionParticipant
{
    /// <summary>The name of the resource this branch lives on (as registered with the coordinator, e.g. "payments").</summary>
    string ResourceName { get; }

    /// <summary>
    /// Phase 1: makes the branch's work durable without committing it (PREPARE TRANSACTION) under <paramref name="globalId"/>,
    /// and votes. Throwing counts as a "no" vote.
    /// </summary>
    ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken);

    /// <summary>Commits the work directly, without prepare: used when this is the transaction's only participant.</summary>
    ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Phase 2: commits the prepared branch. Idempotent: a branch that no longer exists is reported as
    /// <see cref="BranchCompletion.NotFound"/>, not thrown.
    /// </summary>
    ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken);

    /// <summary>
    /// Rolls the branch back whatever its state (active, prepared, or already gone). Idempotent; never fails because the
    /// branch does not exist.
    /// </summary>
    ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken);
}
