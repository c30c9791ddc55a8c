namespace DataPatterns.Routing;

/// <summary>
/// A node refused work because it is overloaded, not because it is down: the server had no connection slot left
/// (PostgreSQL 53300 <c>too_many_connections</c>, 57P03 <c>cannot_connect_now</c>), the node's connection pool had no
/// connection to give within its timeout, or the router's own limit for the node was full. The node stays in rotation;
/// the operation may succeed if retried after <see cref="RetryAfter"/>. Answer a web request with 503 and a
/// <c>Retry-After</c> header rather than 500.
/// </summary>
public sealed class NodeOverloadedException : RoutingException
{
    /// <summary>Creates the exception.</summary>
    public NodeOverloadedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and what to do.</param>
    public NodeOverloadedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The database client's refusal.</param>
    public NodeOverloadedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The node that refused.</summary>
    public string? NodeName { get; init; }

    /// <summary>How long to wait before retrying (<see cref="ReadWriteRouterOptions.OverloadRetryAfter"/>).</summary>
    public TimeSpan RetryAfter { get; init; }

    /// <summary>Always true: overload passes, so the same operation may succeed later.</summary>
    public override bool IsTransient => true;
}
