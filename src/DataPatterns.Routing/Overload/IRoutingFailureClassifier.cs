namespace DataPatterns.Routing;

/// <summary>
/// Tells overload apart from failure in a database client's exceptions, which only the provider package can read
/// (<c>DataPatterns.Routing.Npgsql</c> for PostgreSQL). The router applies the policy: an overloaded node is never
/// ejected; the caller gets a <see cref="NodeOverloadedException"/>.
/// </summary>
public interface IRoutingFailureClassifier
{
    /// <summary>
    /// True when <paramref name="exception"/>, thrown while opening or probing a connection, means the node (or the
    /// client's pool for it) is saturated rather than unreachable: it will serve again without anyone fixing it.
    /// </summary>
    /// <param name="exception">What the database client threw.</param>
    bool IsOverload(Exception exception);
}
