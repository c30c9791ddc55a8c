using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching.Memcached;

/// <summary>The package's log messages (event ids 1200–1299).</summary>
internal static partial class MemcachedCachingLog
{
    [LoggerMessage(1201, LogLevel.Warning, "Memcached server {Server} is marked down for {RetryAfter}: its keys go to the next servers on the ring until then.")]
    public static partial void ServerMarkedDown(ILogger logger, string server, TimeSpan retryAfter, Exception exception);

    [LoggerMessage(1202, LogLevel.Information, "Memcached server {Server} answers again and takes its keys back.")]
    public static partial void ServerBack(ILogger logger, string server);

    [LoggerMessage(1204, LogLevel.Warning, "Memcached server {Server} refuses flush_all (memcached -F): it takes its keys back without being emptied, so it may serve values written before it went down. Run it without -F, or set FlushServerOnReturn to false to stop trying.")]
    public static partial void FlushRefused(ILogger logger, string server, Exception exception);

    [LoggerMessage(1203, LogLevel.Warning, "Memcached server {Server}: a connection was closed ({Reason}); {Pending} commands on it failed.")]
    public static partial void ConnectionClosed(ILogger logger, string server, string reason, int pending, Exception exception);
}
