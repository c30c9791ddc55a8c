namespace DataPatterns.Caching;

/// <summary>The write-behind queue of a <see cref="CacheWriteStrategy.WriteBack"/> cache.</summary>
public sealed class WriteBackOptions
{
    /// <summary>
    /// Keep the queue in the durable store (Redis stream) instead of memory, so the death of an application instance loses
    /// no acknowledged write. A restart or failover of Redis itself loses what its persistence and replication do not keep
    /// (the Redis package checks them at start: <c>RedisCachingOptions.WriteBackDurability</c>). Default false.
    /// </summary>
    public bool Durable { get; set; }

    /// <summary>The most writes flushed in one batch. Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>How often the queue is flushed. Default 1 second.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The most queued writes (distinct keys in memory, entries in the durable queue). A write past it waits for a flush
    /// (back-pressure) instead of growing memory without bound. Default 100,000.
    /// </summary>
    public int Capacity { get; set; } = 100_000;

    /// <summary>Attempts per write before it goes to the dead letter. Default 5.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// The first wait before a failed flush is retried; it doubles per attempt up to <see cref="MaxRetryDelay"/>,
    /// each wait drawn at random from the upper half of its doubled value, so that instances that failed together do not retry in step. The same names and rule as every retry in the library. Default 200 ms.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The longest wait between flush retries (see <see cref="RetryDelay"/>). Default 30 s.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest the graceful-shutdown flush may take. Default 30 seconds.</summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
