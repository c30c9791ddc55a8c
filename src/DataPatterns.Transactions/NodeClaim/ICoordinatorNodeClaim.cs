namespace DataPatterns.Transactions;

/// <summary>
/// A resource or decision log that can hold a claim proving that only one live coordinator uses a prefix and node id
/// on it (PostgreSQL: a session advisory lock). Two coordinators with the same prefix and node id would each take the
/// other's prepared branches for their own; the coordinator claims its identity on each of these at start
/// (<see cref="TwoPhaseCommitCoordinator.ClaimNodeAsync"/>) and holds the claims until it is disposed.
/// </summary>
public interface ICoordinatorNodeClaim
{
    /// <summary>
    /// Where the claim is held (e.g. <c>host:port/database</c>). The coordinator claims once per scope, so a resource and a
    /// decision log in one database share one claim.
    /// </summary>
    string NodeClaimScope { get; }

    /// <summary>
    /// Claims <paramref name="prefix"/> and <paramref name="nodeId"/> for as long as the returned claim is not disposed.
    /// A claim already held through one of <paramref name="owner"/>'s sessions (the same database under another host
    /// spelling) counts as held.
    /// </summary>
    /// <exception cref="CoordinatorNodeInUseException">Another live coordinator holds the claim.</exception>
    ValueTask<IHeldNodeClaim> ClaimNodeAsync(string prefix, string nodeId, NodeClaimOwner owner, CancellationToken cancellationToken);
}
