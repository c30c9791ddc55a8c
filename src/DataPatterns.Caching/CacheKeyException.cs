namespace DataPatterns.Caching;

/// <summary>A key cannot be used as a cache key (for example it is longer than <see cref="CacheOptions.MaxKeyLength"/>).</summary>
public sealed class CacheKeyException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public CacheKeyException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CacheKeyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CacheKeyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
