namespace DataPatterns.Caching;

/// <summary>The shared distributed level (L2): any <c>IDistributedCache</c>, or Redis through <c>UseRedis</c>.</summary>
public sealed class DistributedLevelOptions
{
    /// <summary>Whether the distributed level is used when one is registered. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The longest a call to the distributed level may take before the cache goes on without it (reported in metrics).
    /// Default 1 second. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> adds no timer of the cache's own and relies
    /// on the store's timeouts (Redis: the multiplexer's asyncTimeout), which saves a timer per call.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);
}
