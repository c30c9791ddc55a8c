using System.Data.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DataPatterns.Routing.MySql;

/// <summary>
/// Asks every node once at start, in the background, what the router will rely on: that it is a MariaDB/MySQL server
/// reached through MySqlConnector, its role, whether a read-only node replicates, and whether the primary writes in the
/// one GTID domain read-your-writes tokens are made in. It only logs; a node it cannot ask is logged and skipped.
/// </summary>
internal sealed class MySqlStartupCheck(
    string routerName,
    IOptionsMonitor<ReadWriteRouterOptions> routers,
    IOptionsMonitor<MySqlRoutingOptions> settings,
    ILogger<MySqlStartupCheck> logger) : IHostedService
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>The background check, for tests.</summary>
    internal Task Completion { get; private set; } = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Completion = Task.Run(() => CheckAsync(CancellationToken.None), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        var domain = settings.Get(routerName).GtidDomainId;
        foreach (var node in routers.Get(routerName).Nodes)
        {
            if (node is null || string.IsNullOrWhiteSpace(node.Name))
            {
                continue; // the router's own validation reports it
            }

            await CheckNodeAsync(node, domain, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CheckNodeAsync(RoutingNodeOptions node, uint domain, CancellationToken cancellationToken)
    {
        DbConnection connection;
        try
        {
            connection = node.DataSource is { } dataSource
                ? MySqlRoutingProbe.Instance.CreateProbeConnection(dataSource)
                : new MySqlConnection(new MySqlConnectionStringBuilder(node.ConnectionString ?? "") { Pooling = false }.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            MySqlRoutingLog.NodeNotChecked(logger, routerName, node.Name, ex.Message);
            return;
        }

        await using (connection.ConfigureAwait(false))
        {
            if (connection is not MySqlConnection mySql)
            {
                MySqlRoutingLog.NodeNotMySqlConnector(logger, routerName, node.Name, connection.GetType().FullName ?? "?");
                return;
            }

            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(Timeout);
                await mySql.OpenAsync(deadline.Token).ConfigureAwait(false);
                await InspectAsync(mySql, node.Name, domain, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MySqlException or OperationCanceledException or TimeoutException or InvalidOperationException or IOException)
            {
                MySqlRoutingLog.NodeNotChecked(logger, routerName, node.Name, ex.Message);
            }
        }
    }

    private async Task InspectAsync(MySqlConnection connection, string node, uint domain, CancellationToken cancellationToken)
    {
        var version = connection.ServerVersion;
        var mariaDb = version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
        await using var command = new MySqlCommand(
            mariaDb ? "SELECT @@global.read_only, @@global.gtid_binlog_pos; SHOW ALL SLAVES STATUS" : "SELECT @@global.read_only, ''; SHOW REPLICA STATUS",
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var readOnly = ServerValues.IsReadOnly(reader.GetValue(0));
        var binlog = mariaDb ? ServerValues.GtidPosition(reader.GetValue(1), "@@gtid_binlog_pos") : MariaDbGtidPosition.Empty;
        var replication = await reader.NextResultAsync(cancellationToken).ConfigureAwait(false)
            ? await ReplicationStatus.ReadAsync(reader, cancellationToken).ConfigureAwait(false)
            : ReplicationStatus.None;

        MySqlRoutingLog.NodeChecked(logger, routerName, node, version, readOnly ? "read-only (replica)" : "writable (primary)");
        if (!mariaDb)
        {
            MySqlRoutingLog.MySqlServer(logger, routerName, node, version);
        }

        if (!readOnly && binlog.HasDomainOtherThan(domain))
        {
            MySqlRoutingLog.SeveralGtidDomains(logger, routerName, node, domain, binlog.ToString());
        }

        if (readOnly && !replication.AllRunning)
        {
            MySqlRoutingLog.ReplicaNotReplicating(logger, routerName, node, replication.Channels);
        }
    }
}
