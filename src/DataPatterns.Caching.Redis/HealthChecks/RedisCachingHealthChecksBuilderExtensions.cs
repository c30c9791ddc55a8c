using DataPatterns.Caching;
using DataPatterns.Caching.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis backplane's health check on <see cref="IHealthChecksBuilder"/>.</summary>
public static class RedisCachingHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the Redis backplane registered with <c>UseRedis</c>: Healthy while subscribed (or when no cache
    /// uses it); Degraded before the first subscription and while disconnected (other instances' invalidations are
    /// missed; memory levels are cleared on reconnect); <paramref name="failureStatus"/> once disconnected for longer than
    /// <paramref name="maxDisconnected"/>. Its data: caches subscribed, subscribed, connected, seconds disconnected,
    /// the last resynchronisation's age. It sends nothing to Redis.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default "datapatterns-cache-backplane".</param>
    /// <param name="failureStatus">The status after a long disconnection. Default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example "ready").</param>
    /// <param name="maxDisconnected">How long the subscription may be down before the failure status. Default 1 minute.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddCacheBackplaneCheck(this IHealthChecksBuilder builder, string name = "datapatterns-cache-backplane",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? maxDisconnected = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var allowed = maxDisconnected ?? TimeSpan.FromMinutes(1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(allowed, TimeSpan.Zero, nameof(maxDisconnected));
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => new CacheBackplaneHealthCheck(
                provider.GetService<ICacheBackplane>(),
                provider.GetService<TimeProvider>() ?? TimeProvider.System,
                allowed),
            failureStatus,
            tags));
    }
}
