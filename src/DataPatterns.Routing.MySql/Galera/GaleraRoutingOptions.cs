namespace DataPatterns.Routing.MySql.Galera;

/// <summary>The Galera settings of a router (see <c>UseGalera(o => ...)</c>). Validated at start-up.</summary>
public sealed class GaleraRoutingOptions
{
    /// <summary>
    /// How many times <see cref="GaleraWriter"/> runs a write transaction that lost a certification conflict (error 1213)
    /// before it throws <see cref="GaleraCertificationConflictException"/>. 1 never retries. Default 3.
    /// </summary>
    public int MaxWriteAttempts { get; set; } = 3;

    /// <summary>
    /// The pause before the first retry of a conflicting transaction; it doubles with each retry and is jittered (±50 %),
    /// so two losers do not collide again in step. Zero retries at once. Default 10 ms.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// At start-up, ask every node whether it is a Galera node (<c>@@wsrep_on</c>) and stop the host with
    /// <see cref="GaleraNodeUnavailableException"/> when one is not (a connection string pointing at a plain MariaDB).
    /// A node that is down or not yet Synced only logs: it may join later. Default true.
    /// </summary>
    public bool CheckNodesAtStart { get; set; } = true;

    /// <summary>How long the start-up check waits for each node. Default 5 s.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
