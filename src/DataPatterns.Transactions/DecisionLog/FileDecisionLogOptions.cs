namespace DataPatterns.Transactions;

/// <summary>Settings of the embedded <see cref="FileDecisionLog"/>.</summary>
public sealed class FileDecisionLogOptions
{
    /// <summary>The log file. Put it on a durable local disk (not tmpfs, not a network share without fsync).</summary>
    public string Path { get; set; } = "twophasecommit.log";

    /// <summary>Rewrite the file with only the open decisions after this many transactions have finished. Default 4096.</summary>
    public int CompactAfterFinished { get; set; } = 4096;

    /// <summary>Most writes waiting for the writer at once; callers wait beyond that (back-pressure). Default 8192.</summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>
    /// Salvage a damaged file on open instead of refusing to start (see <see cref="FileDecisionLog.Salvage"/>): every
    /// readable record is kept, the file as it was is copied beside it, and each record that could not be read is logged
    /// as an error. Default false. Turn it on for one start after a <see cref="DecisionLogDamagedException"/>, and off
    /// again: left on, later damage would be salvaged without anyone deciding to.
    /// </summary>
    public bool SalvageDamage { get; set; }
}
