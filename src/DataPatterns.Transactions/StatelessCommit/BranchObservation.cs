namespace DataPatterns.Transactions;

/// <summary>
/// What recovery can see of one participant's branch of a stateless two-phase commit, from that participant alone:
/// its prepared transaction, or the marker row the branch writes before it prepares (visible once the branch commits),
/// or the "aborted" marker a recovery wrote in its place (a fence).
/// </summary>
public enum BranchObservation
{
    /// <summary>Neither a prepared branch nor a marker: the branch has not prepared (it may still be running), or it was rolled back.</summary>
    Absent,

    /// <summary>The branch is prepared: it voted yes and holds its marker row uncommitted.</summary>
    Prepared,

    /// <summary>The branch's own marker is committed: this participant committed, so the transaction did.</summary>
    Committed,

    /// <summary>A recovery's "aborted" marker holds the global id: this participant can never prepare, so the transaction aborted.</summary>
    Fenced,
}
