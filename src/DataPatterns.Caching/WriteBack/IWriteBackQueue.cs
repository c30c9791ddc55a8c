namespace DataPatterns.Caching;

/// <summary>The write-behind queue of one write-back cache (in memory or durable).</summary>
internal interface IWriteBackQueue<TKey, TValue>
{
    /// <summary>Queues a write; waits while the queue is full (back-pressure).</summary>
    ValueTask EnqueueAsync(TKey key, TValue value, CancellationToken cancellationToken);

    /// <summary>The queued, not yet written value of <paramref name="key"/> (so a load never reads older data from the writer).</summary>
    bool TryGetPending(TKey key, out TValue value);

    /// <summary>Writes what is queued now, batch by batch. Returns false when some writes failed and stay queued for a retry.</summary>
    ValueTask<bool> FlushOnceAsync(CancellationToken cancellationToken);

    /// <summary>Completes when there is enough to flush a full batch (or never; the flush interval applies then).</summary>
    Task WorkAvailable { get; }

    /// <summary>The back-off before the next round after a failed one.</summary>
    TimeSpan RetryDelay { get; }

    /// <summary>Writes waiting to be flushed, for the queue-depth gauge (durable: as last read from the store).</summary>
    long Depth { get; }

    /// <summary>True when nothing this instance can flush is queued.</summary>
    bool IsEmpty { get; }
}
