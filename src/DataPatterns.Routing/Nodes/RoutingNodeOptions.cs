using System.Data.Common;

namespace DataPatterns.Routing;

/// <summary>One database node a router may send connections to.</summary>
public sealed class RoutingNodeOptions
{
    /// <summary>A unique name for logs, metrics and <see cref="ReadWriteRouter.GetNodes"/> (for example "primary", "replica-1").</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// The node's connection string; the router builds its data source with <see cref="ReadWriteRouterOptions.ProviderFactory"/>
    /// and disposes it with the router. Leave empty when <see cref="DataSource"/> is set.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>A data source the application built itself (with its own type mappings); the router does not dispose it.</summary>
    public DbDataSource? DataSource { get; set; }

    /// <summary>
    /// The role the application expects. <see cref="NodeRole.Any"/> (the default) lets probing decide, which is what
    /// active-standby failover needs. A node declared <see cref="NodeRole.Replica"/> that answers as a writable primary is
    /// demoted (it receives nothing, with a logged warning), because its data is not the primary's.
    /// </summary>
    public NodeRole ExpectedRole { get; set; }

    /// <summary>The node's share under <see cref="NodeSelectionPolicy.Weighted"/> (default 1; must be positive).</summary>
    public int Weight { get; set; } = 1;
}
