using Microsoft.Extensions.Logging;

namespace DataPatterns.Cqrs;

/// <summary>The package's log messages (source-generated).</summary>
internal static partial class CqrsLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Projection {Projection}: this instance took the lease (fencing token {Token}).")]
    public static partial void LeaseAcquired(ILogger logger, string projection, long token);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Projection {Projection}: leadership lost; stepping down to standby.")]
    public static partial void LeadershipLost(ILogger logger, string projection, Exception exception);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Projection {Projection}: transient failure (attempt {Attempt}); retrying in {Delay}.")]
    public static partial void TransientFailure(ILogger logger, string projection, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Projection {Projection}: applying events failed (attempt {Attempt} of {MaxAttempts}); retrying in {Delay}.")]
    public static partial void ApplyFailed(ILogger logger, string projection, int attempt, int maxAttempts, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Error, Message = "Projection {Projection}: event {Position} ({EventType}) failed {Attempts} times and was parked in the dead-letter store.")]
    public static partial void EventParked(ILogger logger, string projection, EventPosition position, string eventType, int attempts, Exception exception);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Critical, Message = "Projection {Projection} stopped after parking event {Position}, as PoisonEventPolicy.ParkAndStop says; fix the cause and restart the process.")]
    public static partial void ProjectionStopped(ILogger logger, string projection, EventPosition position);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Projection {Projection}: rebuilt generation {Generation} caught up and is now live.")]
    public static partial void Switched(ILogger logger, string projection, int generation);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Projection {Projection}: rebuilding into generation {Generation} while generation {Live} stays live.")]
    public static partial void RebuildStarted(ILogger logger, string projection, int generation, int live);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "Projection {Projection}: could not give up the lease on shutdown; another instance takes over when it expires.")]
    public static partial void ReleaseFailed(ILogger logger, string projection, Exception exception);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "CQRS: commands were dispatched {Seconds} s ago but the projection runner has not started, so {Count} projection(s) never catch up: nothing started the hosted services (IHostedService). Build and run a generic host (Host.CreateApplicationBuilder(...).Build().RunAsync(), or app.Run() in ASP.NET Core).")]
    public static partial void RunnerNotStarted(ILogger logger, int count, double seconds);
}
