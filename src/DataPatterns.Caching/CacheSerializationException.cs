namespace DataPatterns.Caching;

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
