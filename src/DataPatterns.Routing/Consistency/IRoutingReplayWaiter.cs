using System.Data.Common;

namespace DataPatterns.Routing;

/// <summary>
/// Implemented by a probe whose database can wait on the server for a replica to replay a position (MariaDB:
/// <c>MASTER_GTID_WAIT</c>). A read-your-writes read then asks once and the server answers when the position is replayed
/// or the time is up, instead of the router asking for the replay position every
/// <see cref="ReadWriteRouterOptions.ReadYourWritesPollInterval"/>.
/// </summary>
public interface IRoutingReplayWaiter
{
    /// <summary>Waits, for at most <paramref name="timeout"/>, until the replica has replayed <paramref name="token"/>.</summary>
    /// <param name="replicaConnection">An open connection to the replica; the read uses it afterwards.</param>
    /// <param name="token">The position the read must see.</param>
    /// <param name="timeout">The longest wait (<see cref="ReadWriteRouterOptions.ReadYourWritesWait"/>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when the replica has replayed <paramref name="token"/>; false when the time ran out or the token cannot be waited for.</returns>
    ValueTask<bool> WaitForReplayAsync(DbConnection replicaConnection, ConsistencyToken token, TimeSpan timeout, CancellationToken cancellationToken);
}
