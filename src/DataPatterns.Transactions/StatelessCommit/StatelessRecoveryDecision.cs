namespace DataPatterns.Transactions;

/// <summary>
/// The decision rule of stateless two-phase commit, where no coordinator log exists and any instance may finish any
/// transaction from the participants alone. The outcome is fixed when the last branch prepares; recovery reconstructs
/// it. Why the rule is safe:
/// <list type="bullet">
/// <item>A branch inserts its marker row before it prepares, in the same transaction, and a fence inserts the same key
/// as "aborted". Only one of the two can ever commit, so a participant that was fenced can never prepare, and one that
/// prepared (or committed) can never be fenced while its marker stands.</item>
/// <item>Abort is decided only by a fence that landed. Then that participant never prepared, so no one can ever have
/// seen every branch prepared, and no caller was told "committed".</item>
/// <item>Commit is decided only after seeing every branch prepared or committed. Each of those observations rules out a
/// fence on that participant, so no abort can be decided, whatever order the observations were taken in.</item>
/// </list>
/// Markers are what make the second and third points hold, so they may be deleted only when nothing can depend on them:
/// a committed marker once no branch of the transaction is still prepared anywhere; a fence once no branch of it can
/// still prepare (its coordinator has finished or its transaction timeout has passed). The model test
/// (<c>StatelessRecoveryModelTests</c>) checks the rule against random interleavings of coordinators, recoveries,
/// crashes and marker deletions, and shows each deletion rule is needed.
/// </summary>
public static class StatelessRecoveryDecision
{
    /// <summary>
    /// The verdict for one look at every participant (in any order, at any times). A committed marker decides alone: a
    /// branch commits only after the commit was decided. A fence beside it can only be a leftover of a recovery that
    /// looked before the committed markers were deleted, when every branch had committed already, and changes nothing.
    /// </summary>
    public static StatelessRecoveryVerdict Decide(IReadOnlyList<BranchObservation> participants)
    {
        ArgumentNullException.ThrowIfNull(participants);
        ArgumentOutOfRangeException.ThrowIfZero(participants.Count);
        bool committed = false, fenced = false, allVoted = true;
        foreach (var participant in participants)
        {
            committed |= participant == BranchObservation.Committed;
            fenced |= participant == BranchObservation.Fenced;
            allVoted &= participant is BranchObservation.Prepared or BranchObservation.Committed;
        }

        if (committed || allVoted)
        {
            return StatelessRecoveryVerdict.Commit;
        }

        return fenced ? StatelessRecoveryVerdict.Abort : StatelessRecoveryVerdict.FenceAbsent;
    }
}
