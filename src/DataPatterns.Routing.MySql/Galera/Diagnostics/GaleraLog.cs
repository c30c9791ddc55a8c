using Microsoft.Extensions.Logging;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>The Galera mode's log events: ids 4250-4299 of the package's range.</summary>
internal static partial class GaleraLog
{
    [LoggerMessage(EventId = 4250, Level = LogLevel.Debug, Message = "Router '{Router}': a write transaction on node '{Node}' lost a certification conflict (attempt {Attempt} of {MaxAttempts}); retrying the whole transaction in {Delay}")]
    public static partial void ConflictRetried(ILogger logger, string router, string node, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(EventId = 4251, Level = LogLevel.Warning, Message = "Router '{Router}': a write transaction on node '{Node}' lost a certification conflict {Attempts} time(s) and was given up; send the writes of one key to one node (GaleraWriter with a key) to avoid such conflicts")]
    public static partial void ConflictGaveUp(ILogger logger, string router, string node, int attempts);

    [LoggerMessage(EventId = 4252, Level = LogLevel.Warning, Message = "Router '{Router}': node '{Node}', the node of a write key, refused the connection; the key's writes go to the next node in its order until the router probes it back")]
    public static partial void KeyNodeRefused(ILogger logger, string router, string node, Exception exception);

    [LoggerMessage(EventId = 4253, Level = LogLevel.Error, Message = "Router '{Router}': node '{Node}' is not a Galera cluster member (wsrep_on = OFF); point its connection string at a Galera node, or use UseMySql() for primary/replica replication")]
    public static partial void NodeNotGalera(ILogger logger, string router, string node);

    [LoggerMessage(EventId = 4254, Level = LogLevel.Warning, Message = "Router '{Router}': node '{Node}' could not be checked at start ({Reason}); it takes traffic once it answers Synced")]
    public static partial void NodeNotCheckedAtStart(ILogger logger, string router, string node, string reason);
}
