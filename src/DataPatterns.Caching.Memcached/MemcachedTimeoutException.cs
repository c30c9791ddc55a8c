namespace DataPatterns.Caching.Memcached;

/// <summary>
/// A command ran longer than <see cref="MemcachedCachingOptions.CommandTimeout"/>: the server is hung, overloaded or
/// unreachable. Its connection is closed, failing the commands queued behind it too.
/// </summary>
public sealed class MemcachedTimeoutException : MemcachedException
{
    /// <summary>Creates the exception.</summary>
    public MemcachedTimeoutException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MemcachedTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public MemcachedTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
