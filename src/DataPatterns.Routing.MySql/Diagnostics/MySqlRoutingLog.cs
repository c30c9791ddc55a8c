using Microsoft.Extensions.Logging;

namespace DataPatterns.Routing.MySql;

/// <summary>The package's log events for primary/replica routing: ids 4200-4249 (the Galera mode has 4250-4299).</summary>
internal static partial class MySqlRoutingLog
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Error, Message = "Router '{Router}': node '{Node}' is not reached through MySqlConnector ({ClientType}); give MySQL/MariaDB nodes a MySqlDataSource or a MySqlConnector connection string", EventName = "NodeNotMySqlConnector")]
    public static partial void NodeNotMySqlConnector(ILogger logger, string router, string node, string clientType);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Router '{Router}': primary '{Node}' has written in GTID domains other than {Domain} (@@gtid_binlog_pos = '{Position}'); a read-your-writes token cannot be exact then, so reads after a write go to the primary. Set GtidDomainId to the domain the primary writes in, or remove unused domains (FLUSH BINARY LOGS DELETE_DOMAIN_ID = (...))", EventName = "SeveralGtidDomains")]
    public static partial void SeveralGtidDomains(ILogger logger, string router, string node, uint domain, string position);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Router '{Router}': node '{Node}' could not be checked at start ({Reason}); if it stays so, check that the address is a MariaDB or MySQL server (a server of another kind never sends the MySQL greeting, so the connection times out)", EventName = "NodeNotChecked")]
    public static partial void NodeNotChecked(ILogger logger, string router, string node, string reason);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Information, Message = "Router '{Router}': node '{Node}' runs {Version}, a MySQL server: reads after a write go to the primary (a MySQL GTID set has no exact one-number token); the lag bound and failover work as on MariaDB", EventName = "MySqlServer")]
    public static partial void MySqlServer(ILogger logger, string router, string node, string version);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "Router '{Router}': node '{Node}' is read-only but has no replication channel running ({Channels} configured); it serves reads whose data only ages, until the lag bound excludes it once the primary moves. Start replication on it or remove it from the router", EventName = "ReplicaNotReplicating")]
    public static partial void ReplicaNotReplicating(ILogger logger, string router, string node, int channels);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Information, Message = "Router '{Router}': node '{Node}' checked: {Version}, {Role}", EventName = "NodeChecked")]
    public static partial void NodeChecked(ILogger logger, string router, string node, string version, string role);
}
