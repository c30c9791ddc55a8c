using Microsoft.Extensions.Options;

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

    /// <summary>The first back-off after a failure; it doubles per attempt up to <see cref="MaxBackoff"/>. Default 100 ms.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest back-off. Default 10 s.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

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

/// <summary>Checks <see cref="ProjectionRunnerOptions"/> at start-up.</summary>
internal sealed class ProjectionRunnerOptionsValidator : IValidateOptions<ProjectionRunnerOptions>
{
    public ValidateOptionsResult Validate(string? name, ProjectionRunnerOptions options)
    {
        var failures = new List<string>();
        if (options.BatchSize is < 1 or > 100_000)
        {
            failures.Add($"ProjectionRunnerOptions.BatchSize is {options.BatchSize}; set it between 1 and 100000 (1000 is a good start).");
        }

        if (options.MaxAttempts < 1)
        {
            failures.Add($"ProjectionRunnerOptions.MaxAttempts is {options.MaxAttempts}; set it to 1 or more (tries before an event is dead-lettered).");
        }

        if (options.InitialBackoff < TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            failures.Add("ProjectionRunnerOptions.InitialBackoff must be zero or more and MaxBackoff at least InitialBackoff; fix the two values.");
        }

        if (options.IdlePollInterval <= TimeSpan.Zero || options.PendingPollInterval <= TimeSpan.Zero)
        {
            failures.Add("ProjectionRunnerOptions.IdlePollInterval and PendingPollInterval must be positive; set them to e.g. 1 s and 10 ms.");
        }

        if (options.LeaseDuration < TimeSpan.FromMilliseconds(300))
        {
            failures.Add($"ProjectionRunnerOptions.LeaseDuration is {options.LeaseDuration}; set it to at least 300 ms (15 s is the default).");
        }

        if (options.LeaseRetryInterval <= TimeSpan.Zero || options.RebuildCheckInterval <= TimeSpan.Zero || options.LagProbeInterval <= TimeSpan.Zero)
        {
            failures.Add("ProjectionRunnerOptions.LeaseRetryInterval, RebuildCheckInterval and LagProbeInterval must be positive.");
        }

        if (options.RebuildBatchesPerLiveBatch < 1)
        {
            failures.Add($"ProjectionRunnerOptions.RebuildBatchesPerLiveBatch is {options.RebuildBatchesPerLiveBatch}; set it to 1 or more (4 is the default).");
        }

        if (string.IsNullOrWhiteSpace(options.InstanceId))
        {
            failures.Add("ProjectionRunnerOptions.InstanceId is empty; leave the default or set a unique id per process.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
