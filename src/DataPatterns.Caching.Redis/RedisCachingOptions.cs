using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>How the caches reach Redis.</summary>
public sealed class RedisCachingOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string ("host:port,password=..."), used when <see cref="ConnectionMultiplexerFactory"/>
    /// is not set. The package sets <c>abortConnect=false</c> and fails commands fast while disconnected, so a Redis outage
    /// never hangs a request.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Returns the application's own shared multiplexer instead (one per Redis endpoint, never one per call). The package
    /// does not dispose a multiplexer it did not create. When <see cref="RedisWriteBackDurabilityOptions.RequiredReplicas"/>
    /// is above 0 or <see cref="RedisWriteBackDurabilityOptions.WaitForAppendOnlyFile"/> is set, it is called a second
    /// time for the connection of the appends that wait (WAIT blocks the connection it runs on): return a separate
    /// multiplexer there to keep your other commands from queueing behind it.
    /// </summary>
    public Func<IServiceProvider, Task<IConnectionMultiplexer>>? ConnectionMultiplexerFactory { get; set; }

    /// <summary>
    /// How long an entry of the durable write-back queue may sit unacknowledged with another instance before this one takes
    /// it over (XAUTOCLAIM), for example because that instance was killed mid-flush. Default 30 seconds.
    /// </summary>
    public TimeSpan WriteBackClaimIdleTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a waiting instance retries the cross-process stampede lock. Default 20 milliseconds.</summary>
    public TimeSpan LockRetryDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The longest any command of the multiplexer the package creates (from <see cref="Configuration"/>) may wait for
    /// Redis: StackExchange.Redis's <c>asyncTimeout</c>, checked every tenth of it (its heartbeat), so a command fails
    /// within 1.1 × this. Default 1 second, the caches' default <see cref="DistributedLevelOptions.Timeout"/>: reads then
    /// need no timeout of the cache's own. It bounds every command: durable write-back appends, the stampede lock and
    /// backplane publishes too (a command that timed out may still have run on the server). An <c>asyncTimeout</c> or
    /// <c>syncTimeout</c> in <see cref="Configuration"/> wins over this. Not used with
    /// <see cref="ConnectionMultiplexerFactory"/>: the application's multiplexer keeps its own settings.
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// What a durable write-back acknowledgement rests on: the persistence check at start (warn or refuse when Redis would
    /// lose acknowledged writes on a restart) and acknowledgement by replicas (WAIT) or append-only files (WAITAOF).
    /// </summary>
    public RedisWriteBackDurabilityOptions WriteBackDurability { get; } = new();
}
