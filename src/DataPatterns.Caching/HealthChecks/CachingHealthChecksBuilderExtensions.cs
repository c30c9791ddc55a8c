using DataPatterns.Caching;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the caches' health checks on <see cref="IHealthChecksBuilder"/>.</summary>
public static class CachingHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of every write-back cache registered with <c>AddCaching</c>: <paramref name="failureStatus"/> when a
    /// queue holds writes that nothing flushes, or has held writes without a break for longer than
    /// <paramref name="maxPendingAge"/>; Degraded while flushes fail and are retried or a queue is over half its
    /// <see cref="WriteBackOptions.Capacity"/>; Healthy otherwise. Its data, per cache: queue depth, seconds the queue has
    /// held writes (an upper bound of the oldest write's age), dead letters, failed flushes in a row, whether a flush loop
    /// runs, the last successful flush's age. It reads counters and opens no connection.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default "datapatterns-cache-writeback".</param>
    /// <param name="failureStatus">The status when queued writes are not reaching the database. Default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example "ready").</param>
    /// <param name="maxPendingAge">How long a queue may hold writes without a break. Default 5 minutes.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddCacheWriteBackCheck(this IHealthChecksBuilder builder, string name = "datapatterns-cache-writeback",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? maxPendingAge = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var age = maxPendingAge ?? TimeSpan.FromMinutes(5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(age, TimeSpan.Zero, nameof(maxPendingAge));
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => new CacheWriteBackHealthCheck(
                provider.GetServices<ICacheLifecycle>(),
                provider.GetService<TimeProvider>() ?? TimeProvider.System,
                age),
            failureStatus,
            tags));
    }
}
