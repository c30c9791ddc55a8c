namespace DataPatterns.Transactions;

/// <summary>
/// A resource manager (one database) registered with the coordinator by name. It completes prepared branches on
/// connections of its own, which is what phase-2 retries and crash recovery need after the original connection is gone.
/// </summary>
public interface ITransactionResource
{
    /// <summary>The resource's name; branches carry it in <see cref="ITransactionParticipant.ResourceName"/>.</summary>
    string Name { get; }

    /// <summary>Start-up check: fails with a message that says what to change when the resource cannot take part in 2PC.</summary>
    ValueTask ValidateAsync(CancellationToken cancellationToken);

    /// <summary>Lists the prepared (in-doubt) branches whose global id starts with <paramref name="globalIdPrefix"/>.</summary>
    ValueTask<IReadOnlyList<InDoubtBranch>> GetInDoubtBranchesAsync(string globalIdPrefix, CancellationToken cancellationToken);

    /// <summary>Commits a prepared branch (COMMIT PREPARED); a branch that does not exist is <see cref="BranchCompletion.NotFound"/>.</summary>
    ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken);

    /// <summary>Rolls back a prepared branch (ROLLBACK PREPARED); a branch that does not exist is <see cref="BranchCompletion.NotFound"/>.</summary>
    ValueTask<BranchCompletion> RollbackPreparedAsync(string globalId, CancellationToken cancellationToken);
}
