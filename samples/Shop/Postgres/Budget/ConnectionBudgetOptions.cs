namespace DataPatterns.Samples.Shop.Postgres.Budget;

/// <summary>
/// How many connections the Shop may hold on each PostgreSQL server. Every instance sizes its pools so that
/// <see cref="Instances"/> × (the sum of its pools on a server) ≤ the server's <c>max_connections</c> − <see cref="Reserved"/>:
/// a cluster under overload then waits for a pooled connection (bounded, answered 503 when too long) instead of being
/// refused by the server with "too many clients", which would fail every other client of that server too. Set in the
/// <c>Shop:Connections</c> section (<c>--Shop:Connections:Instances=2</c>, <c>Shop__Connections__Instances=2</c>);
/// eng/cluster.sh passes the instance count.
/// </summary>
public sealed class ConnectionBudgetOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Shop:Connections";

    /// <summary>How many Shop instances share each server (default 1): each gets an equal share of the budget.</summary>
    public int Instances { get; set; } = 1;

    /// <summary>
    /// Connections left to everyone else on each server (default 20): superuser sessions, replication, an operator's psql,
    /// migrations, other applications.
    /// </summary>
    public int Reserved { get; set; } = 20;

    /// <summary>
    /// The <c>max_connections</c> to size from when a server cannot be asked at start (default 100, PostgreSQL's own
    /// default). A server that answers is always sized from its real value.
    /// </summary>
    public int AssumedMaxConnections { get; set; } = 100;

    /// <summary>
    /// A fixed size for every pool instead of the derived one (default 0: derive). The Shop logs a warning at start when
    /// the pools so sized can exceed a server's budget.
    /// </summary>
    public int MaxPoolSize { get; set; }
}
