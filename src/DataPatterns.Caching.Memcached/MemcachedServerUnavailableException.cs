namespace DataPatterns.Caching.Memcached;

/// <summary>
/// No server could take the command: the one it belongs to refused the connection or dropped it (it is then marked down
/// and its keys go to the next servers on the ring), or every server is marked down.
/// </summary>
public sealed class MemcachedServerUnavailableException : MemcachedException
{
    /// <summary>Creates the exception.</summary>
    public MemcachedServerUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MemcachedServerUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public MemcachedServerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
