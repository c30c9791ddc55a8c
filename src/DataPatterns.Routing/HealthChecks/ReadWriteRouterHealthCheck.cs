using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataPatterns.Routing;

/// <summary>
/// The router's view of its nodes, as a health check. It reads the router's last probe results (it never opens a
/// connection, so it cannot queue behind application traffic or fail because the node is busy):
/// Healthy when every node is in rotation and no role is in panic mode; Degraded when writes can still be served but a
/// node is slow, ejected or demoted, a role is in panic mode, or the first probes have not finished; the failure status
/// only when no node can take writes.
/// </summary>
internal sealed class ReadWriteRouterHealthCheck(ReadWriteRouter router) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var nodes = router.GetNodes();
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["router"] = router.Name,
            ["panic.primary"] = router.PrimaryPanic,
            ["panic.replica"] = router.ReplicaPanic,
        };
        var problems = new List<string>();
        var writable = false;
        foreach (var node in nodes)
        {
            var state = StateOf(node);
            Describe(data, node, state);
            writable |= node.Role == NodeRole.Primary && !node.IsDemoted && (node.IsHealthy || router.PrimaryPanic);
            if (state != "healthy")
            {
                problems.Add($"node '{node.Name}' is {state}");
            }
        }

        if (router.PrimaryPanic || router.ReplicaPanic)
        {
            problems.Add($"panic mode ({(router.PrimaryPanic ? "primaries" : "replicas")}): too few nodes are healthy, so traffic goes to ejected ones too");
        }

        return Task.FromResult(Judge(context, nodes, writable, problems, data));
    }

    private HealthCheckResult Judge(HealthCheckContext context, IReadOnlyList<RoutingNodeState> nodes, bool writable, List<string> problems, Dictionary<string, object> data)
    {
        if (nodes.All(n => n.Role == NodeRole.Any && n.IsHealthy))
        {
            return HealthCheckResult.Degraded($"Router '{router.Name}': the first probes have not finished.", data: data);
        }

        if (!writable)
        {
            return new HealthCheckResult(context.Registration.FailureStatus,
                $"Router '{router.Name}': no node can take writes ({string.Join("; ", problems)}).", data: data);
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"Router '{router.Name}': every node is in rotation.", data)
            : HealthCheckResult.Degraded($"Router '{router.Name}' still serves reads and writes, but {string.Join("; ", problems)}.", data: data);
    }

    private static string StateOf(RoutingNodeState node) => node switch
    {
        { IsDemoted: true } => "demoted",
        { IsHealthy: false } => "ejected",
        { IsSlow: true } => "slow",
        _ => "healthy",
    };

    private static void Describe(Dictionary<string, object> data, RoutingNodeState node, string state)
    {
        var prefix = "node." + node.Name + ".";
        data[prefix + "role"] = node.Role.ToString();
        data[prefix + "state"] = state;
        data[prefix + "lag_seconds"] = node.Lag.TotalSeconds;
        data[prefix + "open_connections"] = node.OutstandingConnections;
        if (node.ConcurrencyLimit is { } limit)
        {
            data[prefix + "concurrency_limit"] = limit;
            data[prefix + "queued_opens"] = node.QueuedOpens;
            data[prefix + "rejected_opens"] = node.RejectedOpens.ToString(CultureInfo.InvariantCulture);
        }
    }
}
