using DataPatterns.Transactions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the two-phase-commit coordinator's health check on <see cref="IHealthChecksBuilder"/>.</summary>
public static class TransactionsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the coordinator registered with <c>AddTwoPhaseCommit</c>, read from its recovery passes (it opens
    /// no connection): <paramref name="failureStatus"/> when the last recovery pass failed as a whole (decision log,
    /// node claim); Degraded when recovery has not run yet, is more than three intervals behind, could not reach a
    /// resource, or a branch stays in doubt longer than <paramref name="maxInDoubtAge"/>; Healthy otherwise. Its data:
    /// in-flight transactions, in-doubt branches and the oldest one's age in seconds, the last pass's age, unreachable resources.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default "datapatterns-2pc".</param>
    /// <param name="failureStatus">The status when recovery fails. Default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example "ready").</param>
    /// <param name="maxInDoubtAge">How long a branch may stay in doubt before the check is Degraded. Default twice
    /// <see cref="TwoPhaseCommitOptions.RecoveryGracePeriod"/> plus one <see cref="TwoPhaseCommitOptions.RecoveryInterval"/>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddTwoPhaseCommitCheck(this IHealthChecksBuilder builder, string name = "datapatterns-2pc",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? maxInDoubtAge = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (maxInDoubtAge is { } age)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(age, TimeSpan.Zero, nameof(maxInDoubtAge));
        }

        return builder.Add(new HealthCheckRegistration(
            name,
            provider => new TwoPhaseCommitHealthCheck(
                provider.GetRequiredService<TwoPhaseCommitCoordinator>(),
                provider.GetService<TimeProvider>() ?? TimeProvider.System,
                maxInDoubtAge),
            failureStatus,
            tags));
    }
}
