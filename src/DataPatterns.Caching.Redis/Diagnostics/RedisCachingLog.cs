using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching.Redis;

/// <summary>The package's log messages.</summary>
internal static partial class RedisCachingLog
{
    [LoggerMessage(1101, LogLevel.Warning, "Redis backplane: subscribing to '{Channel}' failed; retrying.")]
    public static partial void SubscribeFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(1102, LogLevel.Information, "Redis backplane: the connection was restored; memory levels are cleared because invalidations may have been lost.")]
    public static partial void Resynchronizing(ILogger logger);

    [LoggerMessage(1103, LogLevel.Warning, "Redis backplane: a message could not be read and was ignored.")]
    public static partial void MessageUnreadable(ILogger logger, Exception exception);

    [LoggerMessage(1104, LogLevel.Information, "Redis write-back '{CacheName}': took over {Count} writes left by instances that stopped answering.")]
    public static partial void Claimed(ILogger logger, string cacheName, int count);

    [LoggerMessage(1105, LogLevel.Warning, "Durable write-back: {Risk} Acknowledged writes survive the application's death but not this. Set appendonly yes and appendfsync always on {Endpoint}, or RedisCachingOptions.WriteBackDurability.Persistence = Refuse to refuse to start on such a server.")]
    public static partial void PersistenceRisk(ILogger logger, string endpoint, string risk);

    [LoggerMessage(1106, LogLevel.Warning, "Durable write-back: Redis's persistence could not be checked at start; it is checked before the first write.")]
    public static partial void PersistenceUnchecked(ILogger logger, Exception exception);
}
