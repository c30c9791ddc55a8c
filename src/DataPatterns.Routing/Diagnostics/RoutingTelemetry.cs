using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DataPatterns.Routing;

/// <summary>
/// The package's one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named "DataPatterns.Routing".
/// Every instrument carries the router's name (<c>datapatterns.routing.router</c>) and, where it applies, the node's
/// (<c>datapatterns.routing.node</c>).
/// </summary>
public static class RoutingTelemetry
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "DataPatterns.Routing";

    internal const string RouterTag = "datapatterns.routing.router";
    internal const string NodeTag = "datapatterns.routing.node";
    internal const string ReasonTag = "datapatterns.routing.reason";
    internal const string RoleTag = "datapatterns.routing.role";

    private static readonly ConcurrentDictionary<ReadWriteRouter, bool> LiveRouters = new();

    internal static readonly ActivitySource ActivitySource = new(Name, typeof(RoutingTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Meter Meter = new(Name, typeof(RoutingTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Reads = Meter.CreateCounter<long>(
        "datapatterns.routing.reads", "{connection}", "Connections handed out for reads, per node.");

    internal static readonly Counter<long> Writes = Meter.CreateCounter<long>(
        "datapatterns.routing.writes", "{connection}", "Connections handed out for writes, per node.");

    internal static readonly Counter<long> Fallbacks = Meter.CreateCounter<long>(
        "datapatterns.routing.fallbacks", "{connection}", "Reads sent to the primary because no replica was eligible, per reason.");

    internal static readonly Counter<long> Ejections = Meter.CreateCounter<long>(
        "datapatterns.routing.ejections", "{ejection}", "Nodes taken out of rotation after a failure.");

    internal static readonly Counter<long> SlowProbes = Meter.CreateCounter<long>(
        "datapatterns.routing.slow_probes", "{probe}", "Probes that timed out or met overload on a node that stays in rotation (marked slow, not ejected).");

    internal static readonly Counter<long> Overloads = Meter.CreateCounter<long>(
        "datapatterns.routing.overloads", "{refusal}", "Opens refused because the node or its pool was overloaded (NodeOverloadedException).");

    internal static readonly ObservableGauge<int> Panic = Meter.CreateObservableGauge(
        "datapatterns.routing.panic", ObservePanic, "{router}", "1 while the router routes to nodes ejected for timeouts because too few are healthy, per role.");

    internal static readonly ObservableGauge<int> ConcurrencyLimit = Meter.CreateObservableGauge(
        "datapatterns.routing.concurrency.limit", () => ObserveLimiters(static l => l.Limit), "{operation}", "The adaptive concurrency limit per node (when enabled).");

    internal static readonly ObservableUpDownCounter<int> ConcurrencyInFlight = Meter.CreateObservableUpDownCounter(
        "datapatterns.routing.concurrency.in_flight", () => ObserveLimiters(static l => l.InFlight), "{operation}", "Operations holding a slot of the adaptive limit per node.");

    internal static readonly ObservableUpDownCounter<int> ConcurrencyQueued = Meter.CreateObservableUpDownCounter(
        "datapatterns.routing.concurrency.queued", () => ObserveLimiters(static l => l.Queued), "{operation}", "Opens waiting for a slot of the adaptive limit per node.");

    internal static readonly ObservableCounter<long> ConcurrencyRejected = Meter.CreateObservableCounter(
        "datapatterns.routing.concurrency.rejected", ObserveRejected, "{operation}", "Opens refused by the adaptive limit per node (NodeOverloadedException).");

    internal static readonly Counter<long> PrimaryChanges = Meter.CreateCounter<long>(
        "datapatterns.routing.primary_changes", "{change}", "Times the router found a different node to be the primary (failover).");

    internal static readonly ObservableGauge<double> ReplicaLag = Meter.CreateObservableGauge(
        "datapatterns.routing.replica.lag", ObserveLag, "s", "The replication lag the router observed per replica.");

    internal static void Register(ReadWriteRouter router) => LiveRouters.TryAdd(router, true);

    internal static void Unregister(ReadWriteRouter router) => LiveRouters.TryRemove(router, out _);

    private static IEnumerable<Measurement<int>> ObservePanic()
    {
        foreach (var router in LiveRouters.Keys)
        {
            var routerTag = new KeyValuePair<string, object?>(RouterTag, router.Name);
            yield return new Measurement<int>(router.ReplicaPanic ? 1 : 0, routerTag, new KeyValuePair<string, object?>(RoleTag, "replica"));
            yield return new Measurement<int>(router.PrimaryPanic ? 1 : 0, routerTag, new KeyValuePair<string, object?>(RoleTag, "primary"));
        }
    }

    private static IEnumerable<Measurement<int>> ObserveLimiters(Func<AdaptiveConcurrencyLimiter, int> read)
    {
        foreach (var router in LiveRouters.Keys)
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

    private static IEnumerable<Measurement<long>> ObserveRejected()
    {
        foreach (var router in LiveRouters.Keys)
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

    private static IEnumerable<Measurement<double>> ObserveLag()
    {
        foreach (var router in LiveRouters.Keys)
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
