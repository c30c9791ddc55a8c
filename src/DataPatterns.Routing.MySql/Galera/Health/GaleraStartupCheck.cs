using System.Data.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// At host start, asks every node of a Galera router whether it is a Galera node at all, and stops the start with
/// <see cref="GaleraNodeUnavailableException"/> naming the fix when one is not: a connection string that points at a plain
/// MariaDB would otherwise only show up as a node that never takes traffic. A node that is down or not Synced is logged
/// and left to the router (it may join later).
/// </summary>
internal sealed class GaleraStartupCheck(
    string routerName,
    IOptionsMonitor<ReadWriteRouterOptions> routers,
    IOptionsMonitor<GaleraRoutingOptions> settings,
    ILogger<GaleraStartupCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = settings.Get(routerName);
        if (!options.CheckNodesAtStart)
        {
            return;
        }

        var router = routers.Get(routerName);
        var probe = router.Probe ?? GaleraRoutingProbe.Instance;

        // All nodes at once: a node that is down costs CheckTimeout once, not once per node.
        var nodes = router.Nodes.Where(static n => n?.DataSource is not null).ToList();
        var answers = await Task.WhenAll(nodes.Select(n => IsGaleraAsync(probe, n.Name, n.DataSource!, options.CheckTimeout, cancellationToken))).ConfigureAwait(false);
        var notGalera = nodes.Where((_, i) => !answers[i]).Select(static n => n.Name).ToList();

        if (notGalera.Count > 0)
        {
            var label = string.IsNullOrEmpty(routerName) ? "(default)" : routerName;
            throw new GaleraNodeUnavailableException(
                $"Galera router '{label}': node(s) {string.Join(", ", notGalera.Select(n => $"'{n}'"))} are not Galera cluster members (wsrep_on = OFF). "
                + "Point their connection strings at the nodes of the Galera cluster, or, for a primary with replicas, use UseMySql() instead of UseGalera(). "
                + "(GaleraRoutingOptions.CheckNodesAtStart = false skips this check.)")
            {
                NodeState = "not a Galera node",
                IsGaleraNode = false,
                RouterName = routerName,
            };
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>False only when the node answered and is not a Galera node; a node that does not answer is given the benefit of the doubt.</summary>
    private async Task<bool> IsGaleraAsync(IRoutingProbe probe, string node, DbDataSource dataSource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using var connection = probe.CreateProbeConnection(dataSource);
            await connection.OpenAsync(deadline.Token).ConfigureAwait(false);
            var status = await GaleraRoutingProbe.ReadStatusAsync(connection, deadline.Token).ConfigureAwait(false);
            if (!status.WsrepOn)
            {
                GaleraLog.NodeNotGalera(logger, routerName, node);
                return false;
            }

            if (status.WhyNotServing() is { } why)
            {
                GaleraLog.NodeNotCheckedAtStart(logger, routerName, node, why);
            }

            return true;
        }
        catch (Exception ex) when (ex is DbException or OperationCanceledException or TimeoutException or InvalidOperationException or IOException)
        {
            GaleraLog.NodeNotCheckedAtStart(logger, routerName, node, ex.Message);
            return true;
        }
    }
}
