using Microsoft.Extensions.Logging;

namespace DataPatterns.EntityFrameworkCore.QueryCaching;

// Event ids 6050–6059: the query cache's part of the package's range.
internal static partial class QueryCacheLog
{
    [LoggerMessage(EventId = 6050, Level = LogLevel.Warning,
        Message = "The query cache could not invalidate tables {Tables} after a committed change; the cache repairs its distributed level when it is reachable again, and cached results of these tables may be served until then or until they expire.")]
    public static partial void InvalidationFailed(ILogger logger, IEnumerable<string> tables, Exception exception);

    [LoggerMessage(EventId = 6051, Level = LogLevel.Debug,
        Message = "A cached query ran inside an open transaction and was answered by the database, not the cache (it may read uncommitted rows).")]
    public static partial void BypassedInTransaction(ILogger logger);

    [LoggerMessage(EventId = 6052, Level = LogLevel.Debug, Message = "The query cache invalidated tables {Tables}.")]
    public static partial void Invalidated(ILogger logger, IEnumerable<string> tables);
}
