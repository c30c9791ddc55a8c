using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DataPatterns.Routing.Npgsql;

/// <summary>
/// Compares, per PostgreSQL server, what one router's nodes can open (Maximum Pool Size plus the probe's own connection,
/// times the expected instances) with what the server accepts (max_connections − superuser_reserved_connections), and
/// warns when the pools can exceed it. Runs once in the background at start; a server it cannot ask is logged and skipped.
/// </summary>
internal sealed class NpgsqlConnectionBudgetCheck(
    string routerName,
    IOptionsMonitor<ReadWriteRouterOptions> routers,
    IOptionsMonitor<NpgsqlRoutingOptions> settings,
    ILogger<NpgsqlConnectionBudgetCheck> logger) : IHostedService
{
    /// <summary>The background check, for tests.</summary>
    internal Task Completion { get; private set; } = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = settings.Get(routerName);
        if (options.CheckConnectionBudget)
        {
            Completion = Task.Run(() => CheckAsync(options, CancellationToken.None), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal async Task CheckAsync(NpgsqlRoutingOptions options, CancellationToken cancellationToken)
    {
        foreach (var server in ServerPools.Of(routers.Get(routerName)))
        {
            var limits = await ReadLimitsAsync(server, options.CheckTimeout, cancellationToken).ConfigureAwait(false);
            if (limits is not { } known)
            {
                continue;
            }

            var (maxConnections, reserved) = known;
            var available = maxConnections - reserved;
            var needed = options.ExpectedInstances * server.ConnectionsPerInstance;
            if (needed > available)
            {
                var fit = Math.Max(1, ((available / options.ExpectedInstances) - server.Nodes.Count) / server.Nodes.Count);
                NpgsqlRoutingLog.PoolsExceedServer(logger, routerName, server.Endpoint, string.Join(", ", server.Nodes), options.ExpectedInstances,
                    server.ConnectionsPerInstance, needed, maxConnections, reserved, available, fit);
            }
            else
            {
                NpgsqlRoutingLog.PoolsFitServer(logger, routerName, server.Endpoint, needed, available);
            }
        }
    }

    private async Task<(int MaxConnections, int Reserved)?> ReadLimitsAsync(ServerPools server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            var probe = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false, Timeout = Math.Max(1, (int)timeout.TotalSeconds) };
            await using var connection = new NpgsqlConnection(probe.ConnectionString);
            await connection.OpenAsync(deadline.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int", connection);
            await using var reader = await command.ExecuteReaderAsync(deadline.Token).ConfigureAwait(false);
            await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
            return (reader.GetInt32(0), reader.GetInt32(1));
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            NpgsqlRoutingLog.BudgetUnknown(logger, routerName, server.Endpoint, ex.Message);
            return null;
        }
    }
}
