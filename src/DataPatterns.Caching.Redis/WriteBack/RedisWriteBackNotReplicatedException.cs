namespace DataPatterns.Caching.Redis;

/// <summary>
/// A write reached the Redis master but not <see cref="RedisWriteBackDurabilityOptions.RequiredReplicas"/> replicas (or
/// the append-only files) within <see cref="RedisWriteBackDurabilityOptions.ReplicaTimeout"/>, so it was not acknowledged.
/// Retryable: the cache throws <see cref="WriteBackUnavailableException"/> with this as its inner exception. The entry
/// stays in the master's stream and is flushed if the master survives, like any write whose outcome a timeout hid;
/// writing the value again is safe (the retry is the newer version).
/// </summary>
public sealed class RedisWriteBackNotReplicatedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RedisWriteBackNotReplicatedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RedisWriteBackNotReplicatedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public RedisWriteBackNotReplicatedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The replicas the write had to reach.</summary>
    public int RequiredReplicas { get; init; }

    /// <summary>The replicas that acknowledged it in time.</summary>
    public int AcknowledgedReplicas { get; init; }
}
