namespace DataPatterns.Caching;

/// <summary>A write could not be queued for write-back (the durable queue is unreachable, or the cache is shutting down).</summary>
public sealed class WriteBackUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WriteBackUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public WriteBackUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public WriteBackUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
