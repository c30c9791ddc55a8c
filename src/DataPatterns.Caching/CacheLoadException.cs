namespace DataPatterns.Caching;

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
