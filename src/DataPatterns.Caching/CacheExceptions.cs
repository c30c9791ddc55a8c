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

/// <summary>The loader failed or timed out and no fail-safe value could be served.</summary>
public sealed class CacheLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheLoadException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CacheLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the loader's failure.</summary>
    public CacheLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The cache name.</summary>
    public string? CacheName { get; init; }

    /// <summary>True when the loader did not answer within <see cref="LoadingOptions.Timeout"/>.</summary>
    public bool TimedOut { get; init; }
}

/// <summary>A value or key could not be serialised or deserialised by the cache's serializer.</summary>
public sealed class CacheSerializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheSerializationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CacheSerializationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the serializer's failure.</summary>
    public CacheSerializationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

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
