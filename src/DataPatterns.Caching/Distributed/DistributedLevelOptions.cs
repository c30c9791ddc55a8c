namespace DataPatterns.Caching;

/// <summary>The shared distributed level (L2): any <c>IDistributedCache</c>, or Redis through <c>UseRedis</c>.</summary>
public sealed class DistributedLevelOptions
{
    /// <summary>Whether the distributed level is used when one is registered. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The longest a call to the distributed level may take before the cache goes on without it (reported in metrics).
    /// Default 1 second; a read is failed within 1.1 × this. A store that bounds its reads as tightly itself
    /// (<see cref="IBoundedDistributedCache"/>: Redis through <c>UseRedis</c> with its default command timeout) is relied
    /// on for reads. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> adds no timeout of the cache's own to any call
    /// and relies on the store's.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);
}
