using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching;

/// <summary>The package's log messages.</summary>
internal static partial class CachingLog
{
    [LoggerMessage(1001, LogLevel.Warning, "Cache '{CacheName}': the distributed level failed during {Operation}; going on without it.")]
    public static partial void DistributedLevelFailed(ILogger logger, string cacheName, string operation, Exception exception);

    [LoggerMessage(1002, LogLevel.Warning, "Cache '{CacheName}': the loader failed for a key.")]
    public static partial void LoadFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(1003, LogLevel.Warning, "Cache '{CacheName}': the loader failed; serving a value that expired {StaleFor} ago (fail-safe).")]
    public static partial void FailSafeServed(ILogger logger, string cacheName, TimeSpan staleFor);

    [LoggerMessage(1004, LogLevel.Warning, "Cache '{CacheName}': publishing an invalidation on the backplane failed; other instances keep their memory copy until it expires.")]
    public static partial void BackplanePublishFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(1005, LogLevel.Information, "Cache '{CacheName}': the backplane reconnected; the memory level was cleared because invalidations may have been lost.")]
    public static partial void Resynchronized(ILogger logger, string cacheName);

    [LoggerMessage(1006, LogLevel.Warning, "Cache '{CacheName}': flushing {Count} write-back writes failed (attempt {Attempt}); retrying after {Delay}.")]
    public static partial void FlushFailed(ILogger logger, string cacheName, int count, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(1007, LogLevel.Error, "Cache '{CacheName}': a write-back write failed {Attempts} times and went to the dead letter.")]
    public static partial void DeadLettered(ILogger logger, string cacheName, int attempts, Exception exception);

    [LoggerMessage(1008, LogLevel.Warning, "Cache '{CacheName}': the distributed lock could not be used; loading without it.")]
    public static partial void LockFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(1009, LogLevel.Error, "Cache '{CacheName}': the write-back flush loop failed and will retry.")]
    public static partial void FlushLoopFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(1010, LogLevel.Warning, "Cache '{CacheName}': warming up failed for a key.")]
    public static partial void WarmUpFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(1011, LogLevel.Warning, "Cache '{CacheName}': the background refresh failed; the entry is served until it expires.")]
    public static partial void RefreshFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(1012, LogLevel.Warning, "Cache '{CacheName}': a backplane message could not be read and was ignored.")]
    public static partial void InvalidationUnreadable(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(1013, LogLevel.Warning, "Cache '{CacheName}': {Max} distributed-level repairs are owed already; a failed write is not remembered, and other instances may read its old value from L2 until it expires.")]
    public static partial void RepairsFull(ILogger logger, string cacheName, int max);

    [LoggerMessage(1014, LogLevel.Warning, "Cache '{CacheName}': repairing the distributed level after failed writes failed; it is retried after the next successful write.")]
    public static partial void RepairFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(1015, LogLevel.Warning, "Caching: ApplicationName is left at its shared default '{ApplicationName}' while a shared store (distributed level, backplane, stampede lock or durable write-back queue) is in use, so every application on the same store reads and clears the other's entries. Give each application its own name: AddCaching().Configure(o => o.ApplicationName = \"my-app\").")]
    public static partial void DefaultApplicationName(ILogger logger, string applicationName);

    [LoggerMessage(1016, LogLevel.Warning, "Cache '{Cache}' queued write-back writes {Seconds} s ago but its flush loop has not started: nothing started the hosted caching service (IHostedService), so the queued writes never reach the database. Build and run a generic host (Host.CreateApplicationBuilder(...).Build().RunAsync()), or call ICache.FlushAsync yourself")]
    public static partial void WriteBackNotStarted(ILogger logger, string cache, double seconds);
}
