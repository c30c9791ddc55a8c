namespace DataPatterns.Transactions;

/// <summary>Where a <see cref="DistributedTransaction"/> is in the protocol.</summary>
public enum DistributedTransactionStatus
{
    /// <summary>Open: participants may enlist.</summary>
    Active,

    /// <summary>Commit started (phase 1 or the decision); no more enlistments.</summary>
    Committing,

    /// <summary>Committed: every participant acknowledged.</summary>
    Committed,

    /// <summary>
    /// Committed durably, but some participants have not acknowledged phase 2 yet: it is still running (when
    /// <see cref="TwoPhaseCommitOptions.WaitForPhaseTwo"/> is off) or retried in the background, and finished by recovery.
    /// </summary>
    CommittedPendingPhaseTwo,

    /// <summary>Rolled back everywhere (or left for recovery to roll back, with no decision record).</summary>
    Aborted,

    /// <summary>
    /// Not known yet: a last-resource commit lost its answer and its database could not be asked. The decision row
    /// there, or its absence, decides; recovery resolves the prepared branches accordingly.
    /// </summary>
    InDoubt,
}
