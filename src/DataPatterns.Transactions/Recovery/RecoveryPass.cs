namespace DataPatterns.Transactions;

/// <summary>What one recovery pass has read and done so far; a pass runs on one task, so plain fields suffice.</summary>
internal sealed class RecoveryPass(Dictionary<Guid, CommitDecision> decisions, DateTimeOffset now)
{
    /// <summary>This coordinator's commit decisions, by transaction.</summary>
    public Dictionary<Guid, CommitDecision> Decisions { get; } = decisions;

    /// <summary>When the pass started; a branch's age is measured from here.</summary>
    public DateTimeOffset Now { get; } = now;

    public int Committed { get; set; }

    public int RolledBack { get; set; }

    public int Waiting { get; set; }

    /// <summary>Prepared branches not resolved by this pass.</summary>
    public long InDoubt { get; set; }

    public TimeSpan Oldest { get; set; }

    public List<string> Unreachable { get; } = [];

    /// <summary>Transactions with a branch left prepared: their decision records must be kept.</summary>
    public HashSet<Guid> Unfinished { get; } = [];
}
