using System.Globalization;

namespace DataPatterns.Routing.MySql;

/// <summary>
/// The mapping between MariaDB GTID positions and the router's <see cref="ConsistencyToken"/> (one 64-bit number): a token
/// is the sequence number reached in ONE replication domain (<see cref="MySqlRoutingOptions.GtidDomainId"/>, 0 by
/// default). That is exact while the primary writes in that domain only, because MariaDB numbers a domain's
/// transactions in order and a replica applies them in order. When the primary's position has any other domain, a
/// sequence number alone could be satisfied by a replica that misses a write of the other domain, so the token becomes
/// <see cref="PrimaryOnly"/>: no replica ever satisfies it and the read goes to the primary.
/// </summary>
public static class MariaDbConsistencyTokens
{
    /// <summary>
    /// The token that only the primary satisfies (its position is the largest there is): what a write position becomes when
    /// it cannot be expressed exactly (several GTID domains, a MySQL server).
    /// </summary>
    public static ConsistencyToken PrimaryOnly { get; } = new(ulong.MaxValue);

    /// <summary>The token for a primary's position: its sequence number in <paramref name="domainId"/>, or <see cref="PrimaryOnly"/>.</summary>
    /// <param name="position">The primary's <c>@@gtid_binlog_pos</c>.</param>
    /// <param name="domainId">The one replication domain the primary writes in.</param>
    public static ConsistencyToken FromWritePosition(MariaDbGtidPosition position, uint domainId)
    {
        ArgumentNullException.ThrowIfNull(position);
        return position.HasDomainOtherThan(domainId) ? PrimaryOnly : new ConsistencyToken(position.SequenceOf(domainId));
    }

    /// <summary>A replica's replay position as a token: its sequence number in <paramref name="domainId"/> (other domains do not matter to the comparison).</summary>
    /// <param name="position">The replica's <c>@@gtid_slave_pos</c>.</param>
    /// <param name="domainId">The replication domain tokens are made in.</param>
    public static ConsistencyToken FromReplayPosition(MariaDbGtidPosition position, uint domainId)
    {
        ArgumentNullException.ThrowIfNull(position);
        var sequence = position.SequenceOf(domainId);

        // Never let a replica look like it satisfies PrimaryOnly.
        return new ConsistencyToken(sequence == ulong.MaxValue ? ulong.MaxValue - 1 : sequence);
    }

    /// <summary>
    /// The position to give <c>MASTER_GTID_WAIT</c> for a token: <c>domain-0-sequence</c> (the server id is not compared).
    /// Null for <see cref="ConsistencyToken.None"/> (nothing to wait for) and <see cref="PrimaryOnly"/> (no replica can satisfy it).
    /// </summary>
    /// <param name="token">The token.</param>
    /// <param name="domainId">The replication domain tokens are made in.</param>
    public static string? ToWaitPosition(ConsistencyToken token, uint domainId) =>
        token.IsNone || token == PrimaryOnly ? null : string.Create(CultureInfo.InvariantCulture, $"{domainId}-0-{token.Position}");
}
