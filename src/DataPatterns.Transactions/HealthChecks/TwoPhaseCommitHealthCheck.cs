using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataPatterns.Transactions;

/// <summary>
/// The coordinator's recovery as a health check, from what the last passes recorded (it asks no database itself, so a
/// busy participant cannot make it fail): the failure status when the last pass failed as a whole (the decision log or
/// the node claim), Degraded when recovery has not run yet, is behind (no pass for three intervals), could not ask a
/// resource, or left a branch in doubt for longer than the allowed age; Healthy otherwise.
/// </summary>
internal sealed class TwoPhaseCommitHealthCheck(TwoPhaseCommitCoordinator coordinator, TimeProvider time, TimeSpan? maxInDoubtAge) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = coordinator.Options;
        var status = coordinator.RecoveryState.Current;
        var now = time.GetUtcNow();
        var allowedAge = maxInDoubtAge ?? (2 * options.RecoveryGracePeriod) + options.RecoveryInterval;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["coordinator"] = coordinator.GlobalIdPrefix,
            ["in_flight"] = coordinator.InFlightCount,
            ["in_doubt"] = status.InDoubt,
            ["oldest_in_doubt_seconds"] = status.OldestInDoubt.TotalSeconds,
            ["recovery_service_started"] = status.ServiceStarted,
        };
        if (status.LastPassAt is { } last)
        {
            data["last_pass_age_seconds"] = (now - last).TotalSeconds;
        }

        if (status.Unreachable.Count > 0)
        {
            data["unreachable"] = string.Join(",", status.Unreachable);
        }

        return Task.FromResult(Judge(context, status, now, allowedAge, data));
    }

    private HealthCheckResult Judge(HealthCheckContext context, RecoveryStatus.Snapshot status, DateTimeOffset now, TimeSpan allowedAge, Dictionary<string, object> data)
    {
        var interval = coordinator.Options.RecoveryInterval;
        if (status.LastFailure is { } failure)
        {
            return new HealthCheckResult(context.Registration.FailureStatus,
                $"Two-phase commit recovery failed at {status.LastFailureAt:O}: {failure.Message}", failure, data);
        }

        if (status.LastPassAt is not { } last)
        {
            return HealthCheckResult.Degraded("Two-phase commit recovery has not run yet (the hosted recovery service runs a pass at start).", data: data);
        }

        var problems = new List<string>();
        if (now - last > 3 * interval)
        {
            problems.Add($"no recovery pass for {(now - last).TotalSeconds:0} s (interval {interval.TotalSeconds:0.#} s)");
        }

        if (status.Unreachable.Count > 0)
        {
            problems.Add($"the last pass could not ask {string.Join(", ", status.Unreachable)}");
        }

        if (status.InDoubt > 0 && status.OldestInDoubt > allowedAge)
        {
            problems.Add($"{status.InDoubt} branch(es) in doubt, the oldest for {status.OldestInDoubt.TotalSeconds:0} s (allowed {allowedAge.TotalSeconds:0} s)");
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy("Two-phase commit recovery is up to date.", data)
            : HealthCheckResult.Degraded("Two-phase commit: " + string.Join("; ", problems) + ".", data: data);
    }
}
