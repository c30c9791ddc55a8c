using Microsoft.Extensions.Logging;

namespace DataPatterns.EntityFrameworkCore;

/// <summary>The outbox interceptor's log messages (event ids 7400-7419).</summary>
internal static partial class OutboxLog
{
    [LoggerMessage(7400, LogLevel.Warning, "The outbox could not wake the projection runners after the distributed transaction committed; they will see the events at their next poll.")]
    public static partial void NotifyAfterCommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(7401, LogLevel.Warning, "The outbox could not roll back to its savepoint after SaveChanges failed inside the application's transaction; roll that transaction back before retrying.")]
    public static partial void SavepointRollbackFailed(ILogger logger, Exception exception);
}
