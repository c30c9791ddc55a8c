namespace DataPatterns.Routing.Npgsql;

/// <summary>PostgreSQL settings of a router (see <c>UseNpgsql(o => ...)</c>).</summary>
public sealed class NpgsqlRoutingOptions
{
    /// <summary>
    /// At start, read each server's <c>max_connections</c> and <c>superuser_reserved_connections</c> and log a warning
    /// when the router's pools (and its probe connection per node), times <see cref="ExpectedInstances"/>, can open more
    /// connections than the server allows: past that, PostgreSQL refuses with 53300 "too many clients". Default true.
    /// The check runs in the background, never delays start, and only logs.
    /// </summary>
    public bool CheckConnectionBudget { get; set; } = true;

    /// <summary>How many instances of the application run against the same servers (the budget is shared). Default 1.</summary>
    public int ExpectedInstances { get; set; } = 1;

    /// <summary>How long the check waits for each server. Default 5 s.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
