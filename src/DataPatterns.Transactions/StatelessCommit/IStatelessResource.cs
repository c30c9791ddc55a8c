namespace DataPatterns.Transactions;

/// <summary>
/// A resource that can take part in stateless two-phase commit: besides completing prepared branches, it shows what
/// became of a branch (<see cref="ObserveAsync"/>) and can fence one that never prepared (<see cref="FenceAsync"/>), so
/// that any instance can finish a transaction from the participants alone (<see cref="StatelessResolver"/>); and it
/// lists and deletes old markers for the recovery's clean-up.
/// </summary>
public interface IStatelessResource : ITransactionResource
{
    /// <summary>What this resource holds of the branch <paramref name="globalId"/>: prepared, committed, fenced or nothing.</summary>
    ValueTask<BranchObservation> ObserveAsync(string globalId, CancellationToken cancellationToken);

    /// <summary>
    /// Commits an "aborted" marker for <paramref name="globalId"/> unless the branch holds the key or a marker exists;
    /// a landed fence means the branch can never prepare here.
    /// </summary>
    ValueTask<FenceOutcome> FenceAsync(string globalId, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> global ids of <paramref name="globalIdPrefix"/> whose marker was written more than
    /// <paramref name="olderThan"/> ago (the resource's clock): fences when <paramref name="fenced"/>, else committed branches' markers.
    /// </summary>
    ValueTask<IReadOnlyList<string>> GetMarkersAsync(string globalIdPrefix, bool fenced, TimeSpan olderThan, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes the markers of <paramref name="globalIds"/>; returns how many were there.</summary>
    ValueTask<int> DeleteMarkersAsync(IReadOnlyCollection<string> globalIds, CancellationToken cancellationToken);
}
