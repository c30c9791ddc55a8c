using DataPatterns.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the router's health check on <see cref="IHealthChecksBuilder"/>.</summary>
public static class RoutingHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of a router registered with <c>AddReadWriteSplitting</c>: Healthy when every node is in rotation,
    /// Degraded when reads and writes are still served but a node is slow, ejected or demoted or a role is in panic mode
    /// (a busy node is never reported as a failure), <paramref name="failureStatus"/> when no node can take writes. Its
    /// data holds each node's role, state, replication lag in seconds, open connections and adaptive limit. It reads the
    /// router's last probes and opens no connection.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="routerName">The router's name (<c>AddReadWriteSplitting(name, …)</c>); null for the default router.</param>
    /// <param name="name">The check's name. Default "datapatterns-routing".</param>
    /// <param name="failureStatus">The status when no node can take writes. Default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example "ready").</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddReadWriteRouterCheck(this IHealthChecksBuilder builder, string? routerName = null,
        string name = "datapatterns-routing", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => new ReadWriteRouterHealthCheck(routerName is null
                ? provider.GetRequiredService<ReadWriteRouter>()
                : provider.GetRequiredKeyedService<ReadWriteRouter>(routerName)),
            failureStatus,
            tags));
    }
}
