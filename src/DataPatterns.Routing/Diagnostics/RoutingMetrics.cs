using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DataPatterns.Diagnostics;

namespace DataPatterns.Routing;

/// <summary>
/// The package's instruments on its one <see cref="Meter"/>, one object per meter factory (<see cref="For"/>); the
/// observable ones read the routers registered here. Every instrument carries the router's name and, where it applies,
/// the node's.
/// </summary>
internal sealed class RoutingMetrics : IDisposable
{
    public const string RouterTag = "datapatterns.routing.router";
    public const string NodeTag = "datapatterns.routing.node";
    public const string ReasonTag = "datapatterns.routing.reason";
    public const string RoleTag = "datapatterns.routing.role";

    public static readonly ActivitySource ActivitySource = new(RoutingTelemetry.Name, Version);

    private static string? Version => typeof(RoutingMetrics).Assembly.GetName().Version?.ToString();

    private readonly ConcurrentDictionary<ReadWriteRouter, bool> _routers = new();
    private readonly Meter _meter;

    private RoutingMetrics(Meter meter, bool ownedByRouter)
    {
        _meter = meter;
        OwnedByRouter = ownedByRouter;
        meter.CreateObservableGauge(
            "datapatterns.routing.panic", ObservePanic, "{router}", "1 while the router routes to nodes ejected for timeouts because too few are healthy, per role.");
        meter.CreateObservableGauge(
            "datapatterns.routing.concurrency.limit", () => ObserveLimiters(static l => l.Limit), "{operation}", "The adaptive concurrency limit per node (when enabled).");
        meter.CreateObservableUpDownCounter(
            "datapatterns.routing.concurrency.in_flight", () => ObserveLimiters(static l => l.InFlight), "{operation}", "Operations holding a slot of the adaptive limit per node.");
        meter.CreateObservableUpDownCounter(
            "datapatterns.routing.concurrency.queued", () => ObserveLimiters(static l => l.Queued), "{operation}", "Opens waiting for a slot of the adaptive limit per node.");
        meter.CreateObservableCounter(
            "datapatterns.routing.concurrency.rejected", ObserveRejected, "{operation}", "Opens refused by the adaptive limit per node (NodeOverloadedException).");
        meter.CreateObservableGauge(
            "datapatterns.routing.replica.lag", ObserveLag, "s", "The replication lag the router observed per replica.");
        Reads = meter.CreateCounter<long>(
            "datapatterns.routing.reads", "{connection}", "Connections handed out for reads, per node.");
        Writes = meter.CreateCounter<long>(
            "datapatterns.routing.writes", "{connection}", "Connections handed out for writes, per node.");
        Fallbacks = meter.CreateCounter<long>(
            "datapatterns.routing.fallbacks", "{connection}", "Reads sent to the primary because no replica was eligible, per reason.");
        Ejections = meter.CreateCounter<long>(
            "datapatterns.routing.ejections", "{ejection}", "Nodes taken out of rotation after a failure.");
        SlowProbes = meter.CreateCounter<long>(
            "datapatterns.routing.slow_probes", "{probe}", "Probes that timed out or met overload on a node that stays in rotation (marked slow, not ejected).");
        Overloads = meter.CreateCounter<long>(
            "datapatterns.routing.overloads", "{refusal}", "Opens refused because the node or its pool was overloaded (NodeOverloadedException).");
        PrimaryChanges = meter.CreateCounter<long>(
            "datapatterns.routing.primary_changes", "{change}", "Times the router found a different node to be the primary (failover).");
    }

    /// <summary>True when the router made this object for itself (no meter factory) and disposes it.</summary>
    public bool OwnedByRouter { get; }

    public Counter<long> Reads { get; }

    public Counter<long> Writes { get; }

    public Counter<long> Fallbacks { get; }

    public Counter<long> Ejections { get; }

    public Counter<long> SlowProbes { get; }

    public Counter<long> Overloads { get; }

    public Counter<long> PrimaryChanges { get; }

    /// <summary>The metrics of routers built from <paramref name="meterFactory"/>, or a router's own when it is null.</summary>
    public static RoutingMetrics For(IMeterFactory? meterFactory) => meterFactory is null
        ? new RoutingMetrics(new Meter(RoutingTelemetry.Name, Version), ownedByRouter: true)
        : PerMeterFactory<RoutingMetrics>.Get(meterFactory, static factory => new RoutingMetrics(factory.Create(RoutingTelemetry.Name, Version), ownedByRouter: false));

    public void Register(ReadWriteRouter router) => _routers.TryAdd(router, true);

    public void Unregister(ReadWriteRouter router) => _routers.TryRemove(router, out _);

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<int>> ObservePanic()
    {
        foreach (var router in _routers.Keys)
        {
            var routerTag = new KeyValuePair<string, object?>(RouterTag, router.Name);
            yield return new Measurement<int>(router.ReplicaPanic ? 1 : 0, routerTag, new KeyValuePair<string, object?>(RoleTag, "replica"));
            yield return new Measurement<int>(router.PrimaryPanic ? 1 : 0, routerTag, new KeyValuePair<string, object?>(RoleTag, "primary"));
        }
    }

    private IEnumerable<Measurement<int>> ObserveLimiters(Func<AdaptiveConcurrencyLimiter, int> read)
    {
        foreach (var router in _routers.Keys)
        {
            foreach (var node in router.Nodes)
            {
                if (node.Limiter is { } limiter)
                {
                    yield return new Measurement<int>(read(limiter), new(RouterTag, router.Name), new(NodeTag, node.Name));
                }
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveRejected()
    {
        foreach (var router in _routers.Keys)
        {
            foreach (var node in router.Nodes)
            {
                if (node.Limiter is { } limiter)
                {
                    yield return new Measurement<long>(limiter.Rejected, new(RouterTag, router.Name), new(NodeTag, node.Name));
                }
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveLag()
    {
        foreach (var router in _routers.Keys)
        {
            foreach (var node in router.Nodes)
            {
                if (node.Role == NodeRole.Replica)
                {
                    yield return new Measurement<double>(
                        node.Lag.TotalSeconds,
                        new KeyValuePair<string, object?>(RouterTag, router.Name),
                        new KeyValuePair<string, object?>(NodeTag, node.Name));
                }
            }
        }
    }
}
