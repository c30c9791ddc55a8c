namespace DataPatterns.Caching.Memcached;

/// <summary>
/// A connection already carries <see cref="MemcachedCachingOptions.MaxPendingPerConnection"/> commands: this one fails at
/// once rather than queue behind them.
/// </summary>
public sealed class MemcachedOverloadedException : MemcachedException
{
    /// <summary>Creates the exception.</summary>
    public MemcachedOverloadedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MemcachedOverloadedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public MemcachedOverloadedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
