using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataPatterns.Caching;

/// <summary>
/// The write-back queues of every cache, as a health check (it reads counters, opens nothing): the failure status when
/// a queue holds writes and no flush loop runs (nothing would ever write them), or has held writes without a break for
/// longer than the allowed age; Degraded while flushes fail and are retried or a queue is over half its capacity (the
/// database is slow or down, and the queue is absorbing it — which is its job); Healthy otherwise.
/// </summary>
internal sealed class CacheWriteBackHealthCheck(IEnumerable<ICacheLifecycle> caches, TimeProvider time, TimeSpan maxPendingAge) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var failures = new List<string>();
        var degraded = new List<string>();
        var count = 0;
        foreach (var cache in caches)
        {
            if (cache.GetWriteBackStatus() is not { } status)
            {
                continue;
            }

            count++;
            Describe(data, status, now);
            Judge(status, now, failures, degraded);
        }

        if (failures.Count > 0)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus,
                "Write-back: " + string.Join("; ", failures.Concat(degraded)) + ".", data: data));
        }

        return Task.FromResult(degraded.Count > 0
            ? HealthCheckResult.Degraded("Write-back: " + string.Join("; ", degraded) + ".", data: data)
            : HealthCheckResult.Healthy(count == 0 ? "No cache writes back." : "Write-back queues are flushing.", data));
    }

    private void Judge(WriteBackSnapshot status, DateTimeOffset now, List<string> failures, List<string> degraded)
    {
        var name = status.CacheName;
        if (status.Depth > 0 && !status.LoopRunning)
        {
            failures.Add($"cache '{name}' holds {status.Depth} queued writes and no flush loop runs (is the host running?)");
        }

        if (status.PendingSince is { } since && now - since > maxPendingAge)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"cache '{name}' has held queued writes for {(now - since).TotalSeconds:0} s (allowed {maxPendingAge.TotalSeconds:0} s)"));
        }

        if (status.ConsecutiveFailures > 0)
        {
            degraded.Add($"cache '{name}': {status.ConsecutiveFailures} flushes in a row failed and are retried ({status.LastFailureMessage})");
        }

        if (status.Depth * 2 >= status.Capacity)
        {
            degraded.Add($"cache '{name}': queue at {status.Depth} of {status.Capacity}");
        }
    }

    private static void Describe(Dictionary<string, object> data, WriteBackSnapshot status, DateTimeOffset now)
    {
        var prefix = "cache." + status.CacheName + ".";
        data[prefix + "queue_depth"] = status.Depth;
        data[prefix + "pending_seconds"] = status.PendingSince is { } since ? (now - since).TotalSeconds : 0d;
        data[prefix + "dead_letters"] = status.DeadLetters;
        data[prefix + "consecutive_failures"] = status.ConsecutiveFailures;
        data[prefix + "flush_loop_running"] = status.LoopRunning;
        if (status.LastSuccess is { } success)
        {
            data[prefix + "last_flush_age_seconds"] = (now - success).TotalSeconds;
        }
    }
}
