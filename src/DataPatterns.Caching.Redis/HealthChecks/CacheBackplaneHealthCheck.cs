using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// The Redis backplane's subscription, as a health check (it reads the connection's state, sends nothing): Degraded
/// before the first subscription and while disconnected — this instance misses other instances' invalidations, and its
/// memory levels are cleared when the connection comes back, so it still serves, at worst values as old as the memory
/// level's lifetime; the failure status once disconnected for longer than the allowed time; Healthy otherwise.
/// </summary>
internal sealed class CacheBackplaneHealthCheck(ICacheBackplane? backplane, TimeProvider time, TimeSpan maxDisconnected) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (backplane is not RedisBackplane redis)
        {
            return Task.FromResult(HealthCheckResult.Healthy("No Redis backplane is registered (UseRedis with a backplane)."));
        }

        var status = redis.GetStatus();
        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["caches"] = status.Caches,
            ["subscribed"] = status.Subscribed,
            ["connected"] = status.Connected,
        };
        if (status.LastResync is { } resync)
        {
            data["last_resync_age_seconds"] = (now - resync).TotalSeconds;
        }

        if (status.Caches == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("No cache uses the backplane.", data));
        }

        if (!status.Subscribed)
        {
            return Task.FromResult(HealthCheckResult.Degraded("The backplane has not subscribed yet.", data: data));
        }

        if (status.Connected)
        {
            return Task.FromResult(HealthCheckResult.Healthy("The backplane is subscribed.", data));
        }

        var down = status.DisconnectedSince is { } since ? now - since : TimeSpan.Zero;
        data["disconnected_seconds"] = down.TotalSeconds;
        var description = $"The backplane has been disconnected for {down.TotalSeconds:0} s: invalidations from other instances are missed until it reconnects, when memory levels are cleared.";
        return Task.FromResult(down > maxDisconnected
            ? new HealthCheckResult(context.Registration.FailureStatus, description, data: data)
            : HealthCheckResult.Degraded(description, data: data));
    }
}
