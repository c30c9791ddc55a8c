using MySqlConnector;

namespace DataPatterns.Routing.MySql;

/// <summary>
/// Reads overload in MySqlConnector's exceptions: the server's 1040 <c>ER_CON_COUNT_ERROR</c> ("Too many connections"),
/// 1203 <c>ER_TOO_MANY_USER_CONNECTIONS</c> (the account's max_user_connections), and MySqlConnector's own pool
/// exhaustion ("All pooled connections are in use": no pooled connection freed up within Connection Timeout). The
/// router keeps such a node in rotation and raises <see cref="NodeOverloadedException"/> instead of ejecting it.
/// </summary>
public sealed class MySqlRoutingFailureClassifier : IRoutingFailureClassifier
{
    // MySqlConnector raises pool exhaustion with the generic connect-failure code; its message is its only mark.
    private const string PoolExhausted = "All pooled connections are in use";

    /// <summary>The shared instance (the classifier holds no state).</summary>
    public static MySqlRoutingFailureClassifier Instance { get; } = new();

    /// <inheritdoc />
    public bool IsOverload(Exception exception) => exception is MySqlException mySql
        && (mySql.ErrorCode is MySqlErrorCode.ConnectionCountError or MySqlErrorCode.TooManyUserConnections
            || mySql.Message.Contains(PoolExhausted, StringComparison.Ordinal));
}
