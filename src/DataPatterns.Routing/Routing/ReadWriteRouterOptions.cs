using System.Data.Common;

namespace DataPatterns.Routing;

/// <summary>The settings of one read/write router (one replicated database). Validated at start-up.</summary>
public sealed class ReadWriteRouterOptions
{
    /// <summary>The nodes: the primary (or several standbys of which probing finds the primary) and the replicas.</summary>
    public IList<RoutingNodeOptions> Nodes { get; } = [];

    /// <summary>Builds node data sources from <see cref="RoutingNodeOptions.ConnectionString"/> (set by <c>UseNpgsql()</c>).</summary>
    public DbProviderFactory? ProviderFactory { get; set; }

    /// <summary>The database-specific probe (set by <c>UseNpgsql()</c>).</summary>
    public IRoutingProbe? Probe { get; set; }

    /// <summary>
    /// Tells overload (a full server or pool) apart from failure in the database client's exceptions (set by
    /// <c>UseNpgsql()</c>). Without one, only timeouts are treated gently and every other refusal ejects the node.
    /// </summary>
    public IRoutingFailureClassifier? FailureClassifier { get; set; }

    /// <summary>How reads choose among eligible replicas. Default <see cref="NodeSelectionPolicy.RoundRobin"/>.</summary>
    public NodeSelectionPolicy ReplicaPolicy { get; set; } = NodeSelectionPolicy.RoundRobin;

    /// <summary>How writes choose when several nodes are writable (active-active). Default <see cref="NodeSelectionPolicy.RoundRobin"/>.</summary>
    public NodeSelectionPolicy PrimaryPolicy { get; set; } = NodeSelectionPolicy.RoundRobin;

    /// <summary>
    /// Active-active: every writable node takes writes, chosen by <see cref="PrimaryPolicy"/>. Off (the default), the router
    /// keeps exactly one primary: a second writable node is demoted with a logged error (a replica string that points at a
    /// primary, or an old primary that came back beside the promoted one), and a new primary is taken only when the current one is lost.
    /// </summary>
    public bool ActiveActive { get; set; }

    /// <summary>How often every node is probed for its role, log position and health. Default 1 s.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one probe may take before the node counts as failed. Default 2 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The most nodes, as a percentage of all nodes, that may be out of rotation at once when the next ejection would be
    /// for a timeout (a probe or an open that did not answer in time). Timeouts under load are usually the load, not a
    /// dead node; ejecting for them concentrates the load on fewer nodes. Nodes that refuse outright are always ejected.
    /// Whatever the cap, the last node that can serve a role is never ejected for a timeout: the last primary, and the last
    /// replica when <see cref="WhenNoReplica"/> is Fail (otherwise reads fall back to the primary). Default 50; 100 lifts the cap.
    /// </summary>
    public int MaxEjectionPercent { get; set; } = 50;

    /// <summary>
    /// Panic mode: when fewer than this percentage of a role's nodes (replicas, or writable nodes in active-active) are in
    /// rotation, the router routes to the ones ejected for a timeout too, because a node that may be slow serves more than
    /// no node at all. Nodes that refused outright stay out (they would fail every request). 0 turns panic mode off. Default 50.
    /// </summary>
    public int PanicThresholdPercent { get; set; } = 50;

    /// <summary>The per-node adaptive limit on operations in flight (off by default; see <see cref="AdaptiveConcurrencyOptions"/>).</summary>
    public AdaptiveConcurrencyOptions AdaptiveConcurrency { get; set; } = new();

    /// <summary>The retry hint carried by <see cref="NodeOverloadedException.RetryAfter"/>. Default 1 s.</summary>
    public TimeSpan OverloadRetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a failed node stays out of rotation before a successful probe may bring it back. Default 5 s.</summary>
    public TimeSpan EjectionCooldown { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The staleness bound: a replica observed further behind the primary than this receives no reads.
    /// <see langword="null"/> disables the bound. Default 10 s. The observation is as fine as <see cref="ProbeInterval"/>.
    /// </summary>
    public TimeSpan? MaxReplicaLag { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Read-your-writes for <see cref="RoutingSession"/>: after a write in a session, its reads go only to a replica that has
    /// replayed the write, else to the primary. Default true. When false, session reads are plain replica reads.
    /// </summary>
    public bool ReadYourWrites { get; set; } = true;

    /// <summary>
    /// How long a read-your-writes read may wait for a replica to replay the token before it goes to the primary.
    /// Zero (the default) never waits. The wait polls the replica's replay position on the connection the read will use.
    /// </summary>
    public TimeSpan ReadYourWritesWait { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// While a read-your-writes read waits (<see cref="ReadYourWritesWait"/>), the pause between two questions to the
    /// replica for its replay position. Default 2 ms: replication on a local network usually replays a write within a few
    /// milliseconds, and each question is one short query on the connection the read will use. Raise it to ask a busy
    /// replica less often; the wait never runs past <see cref="ReadYourWritesWait"/>.
    /// </summary>
    public TimeSpan ReadYourWritesPollInterval { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>What reads do when no replica is eligible. Default <see cref="NoReplicaBehavior.FallBackToPrimary"/>.</summary>
    public NoReplicaBehavior WhenNoReplica { get; set; } = NoReplicaBehavior.FallBackToPrimary;

    /// <summary>Adds a node by connection string (needs <see cref="ProviderFactory"/>, set by <c>UseNpgsql()</c>).</summary>
    /// <param name="name">A unique node name.</param>
    /// <param name="connectionString">The node's connection string.</param>
    /// <param name="expectedRole">The declared role; <see cref="NodeRole.Any"/> lets probing decide.</param>
    /// <param name="weight">The share under <see cref="NodeSelectionPolicy.Weighted"/>.</param>
    /// <returns>These options, for chaining.</returns>
    public ReadWriteRouterOptions AddNode(string name, string connectionString, NodeRole expectedRole = NodeRole.Any, int weight = 1)
    {
        Nodes.Add(new RoutingNodeOptions { Name = name, ConnectionString = connectionString, ExpectedRole = expectedRole, Weight = weight });
        return this;
    }

    /// <summary>Adds a node the application built the data source of (the router does not dispose it).</summary>
    /// <param name="name">A unique node name.</param>
    /// <param name="dataSource">The node's data source.</param>
    /// <param name="expectedRole">The declared role; <see cref="NodeRole.Any"/> lets probing decide.</param>
    /// <param name="weight">The share under <see cref="NodeSelectionPolicy.Weighted"/>.</param>
    /// <returns>These options, for chaining.</returns>
    public ReadWriteRouterOptions AddNode(string name, DbDataSource dataSource, NodeRole expectedRole = NodeRole.Any, int weight = 1)
    {
        Nodes.Add(new RoutingNodeOptions { Name = name, DataSource = dataSource, ExpectedRole = expectedRole, Weight = weight });
        return this;
    }
}
