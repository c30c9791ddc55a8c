namespace DataPatterns.Caching;

/// <summary>
/// A write-back writer that is told each write's version, so the database can keep the newest value of a key whatever
/// order writes arrive in. Several instances flush one durable queue, and an instance that dies holding a batch has it
/// flushed by another only after <c>WriteBackClaimIdleTime</c>: by then a newer write of the same key may already be in
/// the database. A plain <see cref="ICacheWriter{TKey, TValue}"/> would then overwrite it with the older value; a
/// versioned writer stores the version with the row and skips older ones
/// (<c>ON CONFLICT (id) DO UPDATE ... WHERE table.version &lt; excluded.version</c>).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public interface IVersionedCacheWriter<TKey, TValue> : ICacheWriter<TKey, TValue>
{
    /// <summary>
    /// Writes a batch (write-back flush; one entry per key, its last queued value), keeping for each key the value with
    /// the highest version. All-or-nothing where it can be, like <see cref="ICacheWriter{TKey, TValue}.WriteBatchAsync"/>.
    /// </summary>
    /// <param name="batch">The writes with their versions.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the batch is written.</returns>
    ValueTask WriteVersionedBatchAsync(IReadOnlyList<WriteBackEntry<TKey, TValue>> batch, CancellationToken cancellationToken);
}

/// <summary>A write taken from the write-behind queue.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
/// <param name="Key">The key.</param>
/// <param name="Value">Its last queued value.</param>
/// <param name="Version">
/// Larger for later writes of the key: the durable queue's stream position, shared by every instance; the in-memory
/// queue's clock-based counter, ordered within the process (across processes only as well as their clocks agree).
/// </param>
public readonly record struct WriteBackEntry<TKey, TValue>(TKey Key, TValue Value, long Version);
