namespace DataPatterns.Transactions;

/// <summary>What a recovery's fence on one participant came to.</summary>
public enum FenceOutcome
{
    /// <summary>The "aborted" marker is committed: this participant can never prepare the branch, so the transaction aborted.</summary>
    Landed,

    /// <summary>A running or prepared branch holds the marker key: look again later.</summary>
    Blocked,

    /// <summary>A marker is already committed (the branch's, or another recovery's fence): look again, it decides.</summary>
    Taken,
}
