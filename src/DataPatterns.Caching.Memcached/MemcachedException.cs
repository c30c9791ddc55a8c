namespace DataPatterns.Caching.Memcached;

/// <summary>A Memcached command failed; the derived types say how. The cache treats it as a failing distributed level.</summary>
public class MemcachedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MemcachedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MemcachedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public MemcachedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The server ("host:port") the command went to, when known.</summary>
    public string? Server { get; init; }
}
