namespace DataPatterns.Caching.Memcached;

/// <summary>How the caches reach Memcached.</summary>
public sealed class MemcachedCachingOptions
{
    /// <summary>
    /// The servers as "host:port" (e.g. <c>["10.0.0.5:11211", "10.0.0.6:11211"]</c>). Keys are spread over them by
    /// ketama consistent hashing, so adding or removing one moves only its share of the keys, and other ketama clients
    /// given the same list place keys on the same servers.
    /// </summary>
    public IList<string> Servers { get; set; } = [];

    /// <summary>
    /// Connections per server. Each carries many requests at once (pipelined), so a few are enough; callers are spread
    /// over them round-robin. Default 2.
    /// </summary>
    public int ConnectionsPerServer { get; set; } = 2;

    /// <summary>
    /// The longest a command may take, connecting included, before it fails with <see cref="MemcachedTimeoutException"/>
    /// and its connection is closed (a server that does not answer the oldest request answers none behind it). Checked
    /// every tenth of it, so a command fails within 1.1 × this. Default 1 second, the caches' default
    /// <see cref="DistributedLevelOptions.Timeout"/>: reads then need no timeout of the cache's own.
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The largest item the servers accept: set it to the servers' <c>-I</c> (default 1 MB on both sides). A value whose
    /// item would exceed it fails with <see cref="MemcachedItemTooLargeException"/> before anything is sent.
    /// </summary>
    public int MaxItemSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// How many commands may wait on one connection before further ones fail at once with
    /// <see cref="MemcachedOverloadedException"/> instead of queueing behind them. Default 1024.
    /// </summary>
    public int MaxPendingPerConnection { get; set; } = 1024;

    /// <summary>
    /// Consecutive timeouts after which a server is marked down (a refused or failed connection marks it down at once).
    /// Default 3.
    /// </summary>
    public int FailuresBeforeDown { get; set; } = 3;

    /// <summary>
    /// How long a server stays marked down before it is tried again. Meanwhile its keys go to the next servers on the
    /// ring, written there with a TTL of at most this long (whole seconds, at least 1), so those copies are gone before
    /// the key could move there again after a later failure. Default 5 seconds.
    /// </summary>
    public TimeSpan RetryDownServerAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether a server that comes back after being marked down is emptied (<c>flush_all</c>) before it takes its keys
    /// back. While it was down its keys were read and written on other servers; a server that was only unreachable (a
    /// network partition, a paused process) still holds the values from before, which may have been changed or removed
    /// since, and would serve them. The flush runs once per return and the server takes its keys back once it
    /// completed; a server started with <c>-F</c> refuses it, which is logged once and the server comes back unflushed.
    /// Default true: a cache loses nothing it cannot load again.
    /// </summary>
    public bool FlushServerOnReturn { get; set; } = true;
}
