namespace DataPatterns.Caching;

/// <summary>
/// A durable write-behind queue shared by every instance (the Redis package keeps it in a stream with a consumer group),
/// so writes queued by a process that dies before flushing are flushed by another instance or the restarted one.
/// </summary>
public interface IWriteBackStore
{
    /// <summary>Appends one write (serialised key and value) to the queue of <paramref name="cacheName"/>.</summary>
    ValueTask AppendAsync(string cacheName, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="maxCount"/> writes to flush, oldest first: this instance's unacknowledged ones, then
    /// ones left by instances that stopped answering, then new ones.
    /// </summary>
    ValueTask<IReadOnlyList<WriteBackRecord>> ReadAsync(string cacheName, int maxCount, CancellationToken cancellationToken);

    /// <summary>Marks <paramref name="records"/> as written and deletes them.</summary>
    ValueTask AcknowledgeAsync(string cacheName, IReadOnlyList<WriteBackRecord> records, CancellationToken cancellationToken);

    /// <summary>The number of writes queued and not yet acknowledged (by any instance).</summary>
    ValueTask<long> GetLengthAsync(string cacheName, CancellationToken cancellationToken);
}
