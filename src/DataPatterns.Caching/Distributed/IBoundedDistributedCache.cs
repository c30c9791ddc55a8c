using Microsoft.Extensions.Caching.Distributed;

namespace DataPatterns.Caching;

/// <summary>
/// A distributed cache that fails a read itself once it has run for <see cref="ReadBound"/>. When that bound is within
/// the cache's own (<see cref="DistributedLevelOptions.Timeout"/> plus the tenth it allows itself), the cache relies on
/// it and keeps no timeout bookkeeping of its own per read.
/// </summary>
public interface IBoundedDistributedCache : IDistributedCache
{
    /// <summary>
    /// The longest a read can run before the store fails it with an exception, including how late the store may notice;
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> when the store does not know.
    /// </summary>
    TimeSpan ReadBound { get; }
}
