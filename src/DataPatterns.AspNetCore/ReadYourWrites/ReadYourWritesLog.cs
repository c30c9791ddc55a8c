using Microsoft.Extensions.Logging;

namespace DataPatterns.AspNetCore.ReadYourWrites;

/// <summary>Log events of the read-your-writes middleware (DataPatterns.AspNetCore: event ids 7000–7099).</summary>
internal static partial class ReadYourWritesLog
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Read-your-writes: the request wrote, but its position could not be read from the primary, so the response carries no token and the user's next read may miss the write: {Reason}")]
    public static partial void TokenUnavailable(ILogger logger, string reason, Exception exception);
}
