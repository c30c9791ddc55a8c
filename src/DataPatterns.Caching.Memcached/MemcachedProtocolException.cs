namespace DataPatterns.Caching.Memcached;

/// <summary>
/// The server answered something the meta protocol does not allow here (or an error line): the connection is closed,
/// since nothing after it could be matched to its request with certainty.
/// </summary>
public sealed class MemcachedProtocolException : MemcachedException
{
    /// <summary>Creates the exception.</summary>
    public MemcachedProtocolException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MemcachedProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public MemcachedProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
