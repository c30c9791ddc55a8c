using Microsoft.Extensions.Logging;

namespace DataPatterns.Routing;

/// <summary>The package's log messages (event ids 4001-4099).</summary>
internal static partial class RoutingLog
{
    [LoggerMessage(4001, LogLevel.Warning, "Router '{Router}': node '{Node}' ejected for {Cooldown} after a failure: {Reason}")]
    public static partial void NodeEjected(ILogger logger, string router, string node, TimeSpan cooldown, string reason, Exception? exception);

    [LoggerMessage(4002, LogLevel.Information, "Router '{Router}': node '{Node}' answered its probe again and is back in rotation")]
    public static partial void NodeReinstated(ILogger logger, string router, string node);

    [LoggerMessage(4003, LogLevel.Warning, "Router '{Router}': the primary is now '{Node}' (was '{Previous}')")]
    public static partial void PrimaryChanged(ILogger logger, string router, string node, string previous);

    [LoggerMessage(4004, LogLevel.Error, "Router '{Router}': node '{Node}' is declared Replica but answers as a writable primary; it is demoted and receives nothing. Point its connection string at a replica, or declare it NodeRole.Any for active-standby failover.")]
    public static partial void ReplicaIsWritable(ILogger logger, string router, string node);

    [LoggerMessage(4005, LogLevel.Error, "Router '{Router}': node '{Node}' is writable while '{Primary}' is the primary and ActiveActive is off; '{Node}' is demoted and receives nothing. Fix the node list, or set ActiveActive if both really take writes.")]
    public static partial void SecondPrimaryDemoted(ILogger logger, string router, string node, string primary);

    [LoggerMessage(4006, LogLevel.Warning, "Router '{Router}': node '{Node}' is declared Primary but is in recovery (a standby); it serves reads only")]
    public static partial void PrimaryIsStandby(ILogger logger, string router, string node);

    [LoggerMessage(4007, LogLevel.Error, "Router '{Router}': no node answered as a writable primary; writes fail until one does")]
    public static partial void NoPrimary(ILogger logger, string router);

    [LoggerMessage(4008, LogLevel.Warning, "Router '{Router}': replica '{Node}' is {Lag} behind the primary, past MaxReplicaLag {Bound}; it receives no reads until it catches up")]
    public static partial void ReplicaTooFarBehind(ILogger logger, string router, string node, TimeSpan lag, TimeSpan bound);

    [LoggerMessage(4009, LogLevel.Error, "Router '{Router}': a probe cycle failed")]
    public static partial void ProbeCycleFailed(ILogger logger, string router, Exception exception);

    [LoggerMessage(4010, LogLevel.Information, "Router '{Router}': node '{Node}' is no longer demoted")]
    public static partial void NodeRestored(ILogger logger, string router, string node);

    [LoggerMessage(4011, LogLevel.Warning, "Router '{Router}': node '{Node}' is slow and stays in rotation: {Reason}")]
    public static partial void NodeSlow(ILogger logger, string router, string node, string reason, Exception? exception);

    [LoggerMessage(4012, LogLevel.Information, "Router '{Router}': node '{Node}' answered its probe in time again and is no longer slow")]
    public static partial void NodeNotSlow(ILogger logger, string router, string node);

    [LoggerMessage(4013, LogLevel.Debug, "Router '{Router}': node '{Node}' refused a connection for overload; it stays in rotation")]
    public static partial void NodeOverloaded(ILogger logger, string router, string node, Exception exception);

    [LoggerMessage(4014, LogLevel.Error, "Router '{Router}': panic mode for {Role} nodes: too few are healthy, so nodes ejected for timeouts receive traffic again")]
    public static partial void PanicEntered(ILogger logger, string router, string role);

    [LoggerMessage(4015, LogLevel.Information, "Router '{Router}': panic mode for {Role} nodes is over")]
    public static partial void PanicLeft(ILogger logger, string router, string role);

    [LoggerMessage(4016, LogLevel.Debug, "Router '{Router}': node '{Node}' went away ({Error}); the connections idle in its pool were dropped, so none fails a request once it is back")]
    public static partial void PoolCleared(ILogger logger, string router, string node, string error);

    [LoggerMessage(4017, LogLevel.Warning, "Router '{Router}': the connections idle in node '{Node}' pool could not be dropped after its server went away")]
    public static partial void PoolClearFailed(ILogger logger, string router, string node, Exception exception);
}
