namespace DataPatterns.Transactions;

/// <summary>What will become of an in-doubt transaction if nobody steps in.</summary>
public enum InDoubtState
{
    /// <summary>This process is still running it (preparing, or finishing phase 2): leave it alone.</summary>
    InFlight,

    /// <summary>Committed: a commit decision is on record, or (stateless commit) every branch prepared. Recovery commits the rest.</summary>
    WillCommit,

    /// <summary>
    /// Not committed: no commit decision of this coordinator's node, or (stateless commit) a participant has no prepared
    /// branch. Recovery rolls it back once it is older than the grace period (stateless: after fencing that participant).
    /// </summary>
    WillRollBack,

    /// <summary>Another coordinator node's transaction whose decision this node cannot read: that node's recovery settles it, or a takeover.</summary>
    OtherNode,
}
