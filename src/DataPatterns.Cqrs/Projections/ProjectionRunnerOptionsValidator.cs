using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs;

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

        if (options.RetryDelay < TimeSpan.Zero || options.MaxRetryDelay < options.RetryDelay)
        {
            failures.Add("ProjectionRunnerOptions.RetryDelay must be zero or more and MaxRetryDelay at least RetryDelay; fix the two values.");
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
