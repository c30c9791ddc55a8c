using DataPatterns.Cqrs;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the projections' health check on <see cref="IHealthChecksBuilder"/>.</summary>
public static class CqrsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds the check of the projections registered with <c>AddCqrs</c> (<see cref="ProjectionLagHealthCheck"/>):
    /// <paramref name="failureStatus"/> when a projection stopped after a poison event; Degraded when a led projection is
    /// further behind than <see cref="ProjectionHealthOptions"/> allows (set with <c>ConfigureHealth</c>); Healthy
    /// otherwise. Its data holds each projection's role, generation and lag. It reads the runner's last measurements.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default "datapatterns-projections".</param>
    /// <param name="failureStatus">The status when a projection stopped. Default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example "ready").</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddProjectionsCheck(this IHealthChecksBuilder builder, string name = "datapatterns-projections",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(new HealthCheckRegistration(name, provider => provider.GetRequiredService<ProjectionLagHealthCheck>(), failureStatus, tags));
    }
}
