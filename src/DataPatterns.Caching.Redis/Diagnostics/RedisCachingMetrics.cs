using System.Diagnostics;
using System.Diagnostics.Metrics;

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
