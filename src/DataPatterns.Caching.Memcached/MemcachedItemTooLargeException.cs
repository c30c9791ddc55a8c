namespace DataPatterns.Caching.Memcached;

/// <summary>
/// A value is too large for the servers' item size limit: refused before sending when it exceeds
/// <see cref="MemcachedCachingOptions.MaxItemSize"/>, or answered <c>SERVER_ERROR object too large</c> by the server.
/// </summary>
public sealed class MemcachedItemTooLargeException : MemcachedException
{
    /// <summary>Creates the exception.</summary>
    public MemcachedItemTooLargeException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MemcachedItemTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public MemcachedItemTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The item's size in bytes (value, key and the server's per-item overhead); 0 when the server refused it.</summary>
    public long ItemSize { get; init; }

    /// <summary>The limit in bytes (<see cref="MemcachedCachingOptions.MaxItemSize"/>).</summary>
    public long Limit { get; init; }
}
