namespace DataPatterns.Caching.Redis;

/// <summary>
/// A durable write-back cache cannot start on this Redis: its persistence or replicas do not meet
/// <see cref="RedisCachingOptions.WriteBackDurability"/>. The message names the option and the server setting to change.
/// </summary>
public sealed class RedisWriteBackDurabilityException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RedisWriteBackDurabilityException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RedisWriteBackDurabilityException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public RedisWriteBackDurabilityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
