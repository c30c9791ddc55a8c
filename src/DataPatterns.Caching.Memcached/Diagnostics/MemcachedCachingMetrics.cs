using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DataPatterns.Caching.Memcached;

/// <summary>The package's one <see cref="Meter"/> and <see cref="ActivitySource"/>, both named <c>DataPatterns.Caching.Memcached</c>.</summary>
internal sealed class MemcachedCachingMetrics : IDisposable
{
    public const string Name = MemcachedCachingTelemetry.Name;

    public static readonly ActivitySource ActivitySource = new(Name);

    private Func<int>? _serversDown;

    public MemcachedCachingMetrics(IMeterFactory? meterFactory = null)
    {
        Meter = meterFactory?.Create(Name) ?? new Meter(Name);
        Meter.CreateObservableGauge("datapatterns.cache.memcached.servers_down", () => _serversDown?.Invoke() ?? 0, "{server}", "Servers marked down: their keys go to the next servers on the ring until they are retried.");
        MarkedDown = Meter.CreateCounter<long>("datapatterns.cache.memcached.server.marked_down", "{event}", "Times a server was marked down (refused or dropped connections, timeouts in a row).");
        Timeouts = Meter.CreateCounter<long>("datapatterns.cache.memcached.timeouts", "{connection}", "Connections closed because their oldest command outlived the command timeout.");
        ProtocolErrors = Meter.CreateCounter<long>("datapatterns.cache.memcached.protocol_errors", "{connection}", "Connections closed because the server answered something the meta protocol does not allow.");
        Rejected = Meter.CreateCounter<long>("datapatterns.cache.memcached.rejected", "{command}", "Commands failed at once because their connection already carried MaxPendingPerConnection commands.");
    }

    public Meter Meter { get; }

    public Counter<long> MarkedDown { get; }

    public Counter<long> Timeouts { get; }

    public Counter<long> ProtocolErrors { get; }

    public Counter<long> Rejected { get; }

    /// <summary>Where the servers-down gauge reads from (the client, once created).</summary>
    public void ObserveServersDown(Func<int> serversDown) => _serversDown = serversDown;

    public void Dispose() => Meter.Dispose();
}
