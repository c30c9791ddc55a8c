using Microsoft.Extensions.Logging;

namespace DataPatterns.EntityFrameworkCore;

/// <summary>The outbox interceptor's log messages (event ids 7400-7419).</summary>
internal static partial class OutboxLog
{
    [LoggerMessage(EventId = 6060, Level = LogLevel.Warning, Message = "The outbox could not wake the projection runners after the distributed transaction committed; they will see the events at their next poll.")]
    public static partial void NotifyAfterCommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6061, Level = LogLevel.Warning, Message = "The outbox could not roll back to its savepoint after SaveChanges failed inside the application's transaction; roll that transaction back before retrying.")]
    public static partial void SavepointRollbackFailed(ILogger logger, Exception exception);
}
