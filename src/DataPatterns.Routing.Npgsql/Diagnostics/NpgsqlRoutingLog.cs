using Microsoft.Extensions.Logging;

namespace DataPatterns.Routing.Npgsql;

/// <summary>The package's log events: ids 4100-4199.</summary>
internal static partial class NpgsqlRoutingLog
{
    [LoggerMessage(4100, LogLevel.Warning, "Router '{Router}': server {Endpoint} (nodes {Nodes}) accepts {Available} connections (max_connections {MaxConnections} - superuser_reserved_connections {Reserved}), but {Instances} instance(s) x {PerInstance} (each node's Maximum Pool Size + 1 probe connection) can open {Needed}. Past the limit PostgreSQL refuses with 53300 'too many clients'. Set Maximum Pool Size to at most {FittingPool} per node, raise max_connections, or put a pooler in front; set ExpectedInstances in UseNpgsql(o => ...) to the real number of instances", EventName = "PoolsExceedServer")]
    public static partial void PoolsExceedServer(ILogger logger, string router, string endpoint, string nodes, int instances, int perInstance, int needed, int maxConnections, int reserved, int available, int fittingPool);

    [LoggerMessage(4101, LogLevel.Debug, "Router '{Router}': server {Endpoint}: the pools can open {Needed} of the {Available} connections it accepts", EventName = "PoolsFitServer")]
    public static partial void PoolsFitServer(ILogger logger, string router, string endpoint, int needed, int available);

    [LoggerMessage(4102, LogLevel.Information, "Router '{Router}': could not read max_connections from {Endpoint} to check the connection budget ({Reason}); the check is skipped for that server", EventName = "BudgetUnknown")]
    public static partial void BudgetUnknown(ILogger logger, string router, string endpoint, string reason);
}
