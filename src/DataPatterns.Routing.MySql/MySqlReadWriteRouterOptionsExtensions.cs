using MySqlConnector;

namespace DataPatterns.Routing.MySql;

/// <summary>MariaDB/MySQL settings on <see cref="ReadWriteRouterOptions"/>, for routers made without DI too.</summary>
public static class MySqlReadWriteRouterOptionsExtensions
{
    /// <summary>
    /// Sets <see cref="MySqlConnectorFactory"/> (node connection strings become MySqlConnector data sources), a
    /// <see cref="MySqlRoutingProbe"/> and <see cref="MySqlRoutingFailureClassifier"/> where nothing else was set.
    /// </summary>
    /// <param name="options">The router's options.</param>
    /// <param name="settings">The GTID domain and dialect; the defaults when null.</param>
    /// <returns>The options.</returns>
    public static ReadWriteRouterOptions UseMySql(this ReadWriteRouterOptions options, MySqlRoutingOptions? settings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProviderFactory ??= MySqlConnectorFactory.Instance;
        options.Probe ??= settings is null ? MySqlRoutingProbe.Instance : new MySqlRoutingProbe(settings);
        options.FailureClassifier ??= MySqlRoutingFailureClassifier.Instance;
        return options;
    }
}
