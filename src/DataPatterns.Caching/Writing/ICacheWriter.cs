namespace DataPatterns.Caching;

/// <summary>
/// Writes values to the system of record (the database) for write-through and write-back caches: the application's own
/// repository, resolved from DI in a scope of its own per call.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public interface ICacheWriter<TKey, TValue>
{
    /// <summary>Writes one value (write-through). Throw when it is not written: the cache then drops the key.</summary>
    ValueTask WriteAsync(TKey key, TValue value, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a batch (write-back flush; one entry per key, the last written value). Make it all-or-nothing (one transaction)
    /// where you can: a failed batch is retried, one entry at a time when it keeps failing. The default writes one at a time.
    /// </summary>
    async ValueTask WriteBatchAsync(IReadOnlyList<KeyValuePair<TKey, TValue>> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var (key, value) in batch)
        {
            await WriteAsync(key, value, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Receives writes that kept failing after <see cref="WriteBackOptions.MaxAttempts"/> tries.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public interface IWriteBackDeadLetterHandler<TKey, TValue>
{
    /// <summary>Called once per dead write, with the last failure. Store it somewhere a person will look.</summary>
    ValueTask HandleAsync(string cacheName, TKey key, TValue value, Exception lastFailure, CancellationToken cancellationToken);
}
