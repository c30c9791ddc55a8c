using MySqlConnector;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// Reads overload in MySqlConnector's exceptions: the server's 1040 ER_CON_COUNT_ERROR ("Too many connections") and
/// MySqlConnector's pool exhaustion ("All pooled connections are in use"). The router keeps such a node in rotation and
/// raises <see cref="NodeOverloadedException"/> instead of ejecting it.
/// </summary>
public sealed class GaleraRoutingFailureClassifier : IRoutingFailureClassifier
{
    // MySqlConnector raises pool exhaustion with a generic error code; its message is the only mark it carries.
    private const string PoolExhausted = "All pooled connections are in use";

    /// <summary>The shared instance (the classifier holds no state).</summary>
    public static GaleraRoutingFailureClassifier Instance { get; } = new();

    /// <inheritdoc />
    public bool IsOverload(Exception exception) => exception is MySqlException mySql
        && (mySql.ErrorCode == MySqlErrorCode.ConnectionCountError || mySql.Message.Contains(PoolExhausted, StringComparison.Ordinal));
}
