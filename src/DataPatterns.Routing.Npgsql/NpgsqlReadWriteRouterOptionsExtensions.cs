using System.Globalization;
using Npgsql;

namespace DataPatterns.Routing.Npgsql;

/// <summary>PostgreSQL settings on <see cref="ReadWriteRouterOptions"/>, for routers made without DI too.</summary>
public static class NpgsqlReadWriteRouterOptionsExtensions
{
    /// <summary>
    /// Sets <see cref="NpgsqlFactory"/>, <see cref="NpgsqlRoutingProbe"/> and <see cref="NpgsqlRoutingFailureClassifier"/>
    /// where nothing else was set.
    /// </summary>
    /// <param name="options">The router's options.</param>
    /// <returns>The options.</returns>
    public static ReadWriteRouterOptions UseNpgsql(this ReadWriteRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProviderFactory ??= NpgsqlFactory.Instance;
        options.Probe ??= NpgsqlRoutingProbe.Instance;
        options.FailureClassifier ??= NpgsqlRoutingFailureClassifier.Instance;
        return options;
    }

    /// <summary>
    /// Adds one node per host of an Npgsql multi-host connection string (<c>Host=db1:5432,db2:5432,db3:5432;...</c>), each
    /// named <c>host:port</c> with role <see cref="NodeRole.Any"/> so probing finds the primary: the same connection string
    /// an application already gives Npgsql's multi-host data source. Multi-host-only settings (target session attributes,
    /// load balancing, host recheck) are dropped from the per-node strings, because the router does that job per node.
    /// </summary>
    /// <param name="options">The router's options.</param>
    /// <param name="multiHostConnectionString">A connection string with one or more comma-separated hosts.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">The connection string names no host.</exception>
    public static ReadWriteRouterOptions AddNodesFromMultiHost(this ReadWriteRouterOptions options, string multiHostConnectionString)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(multiHostConnectionString);
        var builder = new NpgsqlConnectionStringBuilder(multiHostConnectionString);
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException("The connection string has no Host; list the nodes as Host=db1:5432,db2:5432.", nameof(multiHostConnectionString));
        }

        var defaultPort = builder.Port;
        foreach (var entry in builder.Host.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (host, port) = SplitHost(entry, defaultPort);
            var node = new NpgsqlConnectionStringBuilder(multiHostConnectionString) { Host = host, Port = port };
            node.Remove("Target Session Attributes");
            node.Remove("Load Balance Hosts");
            node.Remove("Host Recheck Seconds");
            options.AddNode(string.Create(CultureInfo.InvariantCulture, $"{host}:{port}"), node.ConnectionString);
        }

        return options;
    }

    private static (string Host, int Port) SplitHost(string entry, int defaultPort)
    {
        // host, host:port, [v6]:port; a bare IPv6 address has several colons and no port.
        var colon = entry.LastIndexOf(':');
        if (colon > 0 && entry.IndexOf(':', StringComparison.Ordinal) == colon || (entry.StartsWith('[') && colon > entry.IndexOf(']', StringComparison.Ordinal)))
        {
            if (int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                return (entry[..colon].Trim('[', ']'), port);
            }
        }

        return (entry.Trim('[', ']'), defaultPort);
    }
}
