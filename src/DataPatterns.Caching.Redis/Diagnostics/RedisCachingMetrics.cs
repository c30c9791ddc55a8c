using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching.Redis;

/// <summary>The package's one <see cref="Meter"/> and <see cref="ActivitySource"/>, both named <c>DataPatterns.Caching.Redis</c>.</summary>
internal sealed class RedisCachingMetrics : IDisposable
{
    public const string Name = RedisCachingTelemetry.Name;

    public static readonly ActivitySource ActivitySource = new(Name);

    public RedisCachingMetrics(IMeterFactory? meterFactory = null)
    {
        Meter = meterFactory?.Create(Name) ?? new Meter(Name);
        InvalidationsReceived = Meter.CreateCounter<long>("datapatterns.cache.redis.backplane.received", "{message}", "Invalidations received from other instances.");
        Resynchronizations = Meter.CreateCounter<long>("datapatterns.cache.redis.backplane.resyncs", "{reconnect}", "Reconnects after which the memory levels were cleared.");
        Claimed = Meter.CreateCounter<long>("datapatterns.cache.redis.writeback.claimed", "{write}", "Durable write-back entries taken over from instances that stopped answering.");
        LockWaits = Meter.CreateCounter<long>("datapatterns.cache.redis.lock.timeouts", "{lock}", "Cross-process stampede locks not taken in time (the load went ahead without it).");
    }

    public Meter Meter { get; }

    public Counter<long> InvalidationsReceived { get; }

    public Counter<long> Resynchronizations { get; }

    public Counter<long> Claimed { get; }

    public Counter<long> LockWaits { get; }

    public void Dispose() => Meter.Dispose();
}

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
