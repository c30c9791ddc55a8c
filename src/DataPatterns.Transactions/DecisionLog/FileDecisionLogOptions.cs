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
}
