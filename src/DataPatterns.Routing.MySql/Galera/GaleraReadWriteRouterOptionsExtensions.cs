using MySqlConnector;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>Galera mode on <see cref="ReadWriteRouterOptions"/>, for routers made without DI too.</summary>
public static class GaleraReadWriteRouterOptionsExtensions
{
    /// <summary>
    /// Galera mode: every Synced node takes reads and writes (<see cref="ReadWriteRouterOptions.ActiveActive"/>), health by
    /// <see cref="GaleraRoutingProbe"/>, node connection strings built with <see cref="MySqlConnectorFactory"/>, overload read by
    /// <see cref="MySqlRoutingFailureClassifier"/>. The core's token read-your-writes is turned off: there are no replicas to
    /// compare a token with, and a read on another node is made causal by <see cref="GaleraCausalReads"/> instead. Nodes
    /// given by connection string get <c>Connection Reset=false</c> unless the string sets it, because a Galera node ignores
    /// <c>wsrep_sync_wait</c> on a session MySqlConnector reset for reuse (see <see cref="GaleraCausalReads"/>). A probe or
    /// factory the application set itself is kept.
    /// </summary>
    /// <param name="options">The router's options.</param>
    /// <returns>The options.</returns>
    public static ReadWriteRouterOptions UseGalera(this ReadWriteRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProviderFactory ??= MySqlConnectorFactory.Instance;
        options.Probe ??= GaleraRoutingProbe.Instance;
        options.FailureClassifier ??= MySqlRoutingFailureClassifier.Instance;
        options.ActiveActive = true;
        options.ReadYourWrites = false;
        foreach (var node in options.Nodes)
        {
            if (node is { DataSource: null, ConnectionString: { Length: > 0 } connectionString })
            {
                node.ConnectionString = GaleraNodeDataSources.WithoutPoolReset(connectionString);
            }
        }

        return options;
    }
}
