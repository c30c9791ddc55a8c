namespace DataPatterns.Transactions;

/// <summary>What the two-phase-commit coordinator needs to know; validated at start-up.</summary>
public sealed class TwoPhaseCommitOptions
{
    /// <summary>The application's global-id prefix (1 to 64 of <c>A-Z a-z 0-9 _ - .</c>). Default <c>dp</c>.</summary>
    public string Prefix { get; set; } = "dp";

    /// <summary>
    /// This coordinator instance's id (1 to 64 of <c>A-Z a-z 0-9 _ - .</c>), stable across restarts and unique among the
    /// instances that share the databases: recovery only touches branches of its own prefix and node. Default <c>node1</c>,
    /// accepted only in the Development environment: two coordinators left at the default on the same databases would
    /// each take the other's prepared branches for their own and roll back branches of transactions the other committed.
    /// Outside Development, start-up fails until it is set (see <c>AddTwoPhaseCommit</c>), and a second live coordinator
    /// with the same prefix and node id on a PostgreSQL resource or decision log is refused.
    /// </summary>
    public string NodeId { get; set; } = DefaultNodeId;

    /// <summary>The default <see cref="NodeId"/>, for development only.</summary>
    public const string DefaultNodeId = "node1";

    /// <summary>How long phase 1 (prepare) may take from <c>Begin</c> before the transaction rolls back. Default 30 s.</summary>
    public TimeSpan TransactionTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the recovery service scans for in-doubt branches after its start-up pass. Default 30 s.</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A prepared branch with no decision record is rolled back only once it is older than this (it may belong to a
    /// transaction still preparing elsewhere in this node). Default 1 minute; 0 in tests.
    /// </summary>
    public TimeSpan RecoveryGracePeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether <c>CommitAsync</c> waits for every participant's COMMIT PREPARED (phase 2) before it returns. Default true:
    /// when it returns, every session sees the transaction's writes (read-your-writes). When false it returns once the
    /// commit decision is durable and COMMIT PREPARED has been sent to every participant; the transaction is committed
    /// all the same (phase 2 is retried, and finished by recovery after a crash), but a read on another connection right
    /// after may not see its writes yet and its row locks are held a moment longer. That saves one database flush per
    /// transaction in the caller's latency; <c>DistributedTransaction.WhenCompletedAsync</c> waits for phase 2 when needed.
    /// </summary>
    public bool WaitForPhaseTwo { get; set; } = true;

    /// <summary>
    /// Last-resource commit: when the decision log lives in the database of one of the transaction's participants (a
    /// PostgreSQL decision log in the same database as a resource), that participant is not prepared; after every other
    /// participant has prepared, it commits its own work together with the decision record in one local commit. That
    /// saves a PREPARE, a COMMIT PREPARED and the separate decision write per transaction: a flush and two round trips in
    /// the caller's wait, and a third of the flushes in total. Recovery is the same (a decision row means commit), and a
    /// commit whose acknowledgement is lost is settled by fencing (an abort row that a late commit would collide with).
    /// Default false; ignored when no participant shares the decision log's database.
    /// </summary>
    public bool LastResourceCommit { get; set; }

    /// <summary>
    /// Stateless two-phase commit: no decision log and no node identity. Each participant inserts a marker row for the
    /// transaction in the same round trip as its PREPARE; the transaction is committed the moment the last participant
    /// has prepared, so the caller's wait is one parallel round of prepares (plus phase 2 unless
    /// <see cref="WaitForPhaseTwo"/> is off). Any instance's recovery finishes any transaction from the participants
    /// alone: every branch prepared (or one committed) means commit; a participant with neither branch nor marker is
    /// fenced, which aborts. Every resource must support it (PostgreSQL does). <see cref="NodeId"/>, the decision log and
    /// <see cref="LastResourceCommit"/> are not used. Default false. See <c>docs/transactions.md</c> for when to choose it.
    /// </summary>
    public bool StatelessCommit { get; set; }

    /// <summary>
    /// Stateless commit: how long a fence (the "aborted" marker recovery leaves on a participant whose branch never
    /// prepared) is kept. It must outlive any session of the fenced branch that could still try to prepare, so keep it
    /// far above <see cref="TransactionTimeout"/>; fences are written only for failed transactions, so they stay few.
    /// Markers of committed transactions go much sooner: once no branch of theirs is prepared anywhere and they are older
    /// than <see cref="RecoveryGracePeriod"/> plus <see cref="TransactionTimeout"/>. Default 1 day.
    /// </summary>
    public TimeSpan FenceRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Log-based modes with the shared PostgreSQL decision log: each recovery pass also takes over the transactions of
    /// other nodes of the prefix that are gone. A node is gone when no live coordinator holds its claim (its sessions
    /// ended: the process died, or its host has been silent past the claim's keepalive); the pass claims it, recovers
    /// its prepared branches older than <see cref="RecoveryGracePeriod"/> from the shared log, and lets it go. For
    /// deployments whose instances do not come back under the same node id (pods, spot VMs). Default false: only the
    /// node itself (or <c>TransactionAdmin.TakeOverNodeAsync</c>) recovers its transactions.
    /// </summary>
    public bool TakeOverDeadNodes { get; set; }

    /// <summary>
    /// The first wait before a failed phase-2 command is retried in the background; it doubles per attempt up to
    /// <see cref="MaxRetryDelay"/>, each wait drawn at random from the upper half of its doubled value, so that instances that failed together do not retry in step. The same names and rule as every retry in the library. Default 500 ms.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between background phase-2 retries (see <see cref="RetryDelay"/>). Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The file of the embedded decision log (used unless another <see cref="IDecisionLog"/> is registered). Default
    /// <c>twophasecommit.log</c> in the current folder; a relative path is logged with the absolute path it resolved to.
    /// Use an absolute path on a durable disk: a restart from another folder would otherwise start with an empty log.
    /// </summary>
    public string DecisionLogPath { get; set; } = "twophasecommit.log";

    /// <summary>
    /// Salvage a damaged embedded decision log at start instead of refusing to start
    /// (<see cref="FileDecisionLogOptions.SalvageDamage"/>). Default false; turn it on for one start, then off.
    /// </summary>
    public bool SalvageDecisionLog { get; set; }
}
