using Npgsql;

namespace DataPatterns.Routing.Npgsql;

/// <summary>
/// Reads overload in Npgsql's exceptions: PostgreSQL's 53300 <c>too_many_connections</c> ("sorry, too many clients
/// already"), 57P03 <c>cannot_connect_now</c>, and Npgsql's own "The connection pool has been exhausted" (no pooled
/// connection freed up within the connection string's <c>Timeout</c>). The router keeps such a node in rotation and
/// raises <see cref="NodeOverloadedException"/> instead of ejecting it.
/// </summary>
public sealed class NpgsqlRoutingFailureClassifier : IRoutingFailureClassifier
{
    // Npgsql raises pool exhaustion as a plain NpgsqlException; its message is the only mark it carries.
    private const string PoolExhausted = "The connection pool has been exhausted";

    /// <summary>The shared instance (the classifier holds no state).</summary>
    public static NpgsqlRoutingFailureClassifier Instance { get; } = new();

    /// <inheritdoc />
    public bool IsOverload(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.CannotConnectNow,
        NpgsqlException npgsql => npgsql.Message.StartsWith(PoolExhausted, StringComparison.Ordinal),
        _ => false,
    };
}
