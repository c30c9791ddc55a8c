namespace DataPatterns.Transactions.Tests.StatelessCommit;

internal enum BranchState
{
    NotStarted,

    /// <summary>Running: its marker row is inserted but not committed (it holds the key).</summary>
    Inserted,
    Prepared,
    Committed,
    RolledBack,

    /// <summary>Its marker insert met a committed marker (a fence): the branch failed and never prepares.</summary>
    Failed,
}

internal enum MarkerState
{
    None,
    Committed,
    Aborted,
}

internal sealed class Participant
{
    public BranchState Branch { get; set; }

    public MarkerState Marker { get; set; }

    /// <summary>What a recovery sees of it, as <c>pg_prepared_xacts</c> and the marker table show it.</summary>
    public BranchObservation Observe() => (Branch, Marker) switch
    {
        (BranchState.Prepared, _) => BranchObservation.Prepared,
        (_, MarkerState.Committed) => BranchObservation.Committed,
        (_, MarkerState.Aborted) => BranchObservation.Fenced,
        _ => BranchObservation.Absent,
    };

    public void CommitPrepared()
    {
        if (Branch == BranchState.Prepared)
        {
            Branch = BranchState.Committed;
            Marker = MarkerState.Committed;
        }
    }

    public void RollbackPrepared()
    {
        if (Branch == BranchState.Prepared)
        {
            Branch = BranchState.RolledBack;
        }
    }
}

internal enum CoordinatorPhase
{
    Voting,
    Committing,
    Aborting,
    Done,
}

internal sealed class Coordinator(int participants)
{
    /// <summary>Per participant: 0 insert the marker next, 1 prepare next, 2 voted yes.</summary>
    public int[] Stage { get; } = new int[participants];

    public CoordinatorPhase Phase { get; set; }

    public bool Crashed { get; set; }

    public bool ToldCommitted { get; set; }

    /// <summary>While it votes, a live coordinator may still insert a marker and prepare.</summary>
    public bool MayStillPrepare => !Crashed && Phase == CoordinatorPhase.Voting;
}

internal sealed class Recovery
{
    public BranchObservation[]? Seen { get; set; }

    public int Next { get; set; }

    public StatelessRecoveryVerdict? Verdict { get; set; }

    public Queue<int> ToDo { get; } = new();

    public bool Finished { get; set; }

    public void Restart()
    {
        Seen = null;
        Next = 0;
        Verdict = null;
        ToDo.Clear();
        Finished = false;
    }
}
