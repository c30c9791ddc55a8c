namespace DataPatterns.Cqrs;

/// <summary>How the projection runner reads, applies, retries and elects a leader.</summary>
public sealed class ProjectionRunnerOptions
{
    /// <summary>
    /// The most events read and applied in one transaction. Default 1,000: each batch costs a fixed few round trips and
    /// a commit, so catching up is faster with larger batches; at a steady rate batches are as small as what arrived.
    /// </summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// How many times a failing batch (and then each of its events on its own) is tried before the failing event is
    /// parked in the dead-letter store. Transient store failures (database unreachable) do not count. Default 5.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// The first wait before a failed batch, or a failed start (taking the lease, opening the read model), is retried; it doubles per attempt up to
    /// <see cref="MaxRetryDelay"/>, each wait drawn at random from the upper half of its doubled value, so that instances that failed together do not retry in step. The same names and rule as every retry in the library. Default 100 ms.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between retries (see <see cref="RetryDelay"/>). Default 10 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What happens after a poison event is parked. Default <see cref="PoisonEventPolicy.ParkAndContinue"/>.</summary>
    public PoisonEventPolicy PoisonEventPolicy { get; set; } = PoisonEventPolicy.ParkAndContinue;

    /// <summary>The longest wait for a writer's notification before reading anyway (safety net). Default 1 s.</summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How soon to read again when committed events wait for an older transaction to finish. Default 10 ms.</summary>
    public TimeSpan PendingPollInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long a projection lease lasts unless renewed; it is renewed every third of it. Default 15 s.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a standby instance tries to take the lease. Default 2 s.</summary>
    public TimeSpan LeaseRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the leader looks for rebuild requests. Default 1 s.</summary>
    public TimeSpan RebuildCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many batches a rebuild applies for each live batch, so it catches up while writes continue. Default 4.
    /// </summary>
    public int RebuildBatchesPerLiveBatch { get; set; } = 4;

    /// <summary>How often lag (events and seconds behind) is measured. Default 1 s.</summary>
    public TimeSpan LagProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>This instance's unique id in the lease table. Default: machine name, process id and a random suffix.</summary>
    public string InstanceId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
}
