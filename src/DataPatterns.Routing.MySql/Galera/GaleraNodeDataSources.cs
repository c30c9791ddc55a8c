using System.Collections.Concurrent;
using System.Data.Common;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// The MySqlConnector data sources of the Galera routers' nodes, made from their connection strings once and shared by
/// the router (its reads and writes) and the <see cref="GaleraWriter"/> (its key-routed writes): one pool per node.
/// Disposed with the container.
/// </summary>
internal sealed class GaleraNodeDataSources : IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<(string Router, string Node, string ConnectionString), MySqlDataSource> _sources = new();

    public DbDataSource GetOrCreate(string router, string node, string connectionString) =>
        _sources.GetOrAdd((router, node, connectionString), static key => new MySqlDataSource(WithoutPoolReset(key.ConnectionString)));

    /// <summary>
    /// Turns MySqlConnector's reset of pooled connections off unless the string sets it: a Galera node ignores
    /// wsrep_sync_wait on a reset session (see <see cref="GaleraCausalReads"/>), so causal reads need it off.
    /// </summary>
    internal static string WithoutPoolReset(string connectionString)
    {
        if (!IsValid(connectionString))
        {
            // Left as given: the start-up validation names the node and what is wrong with its string.
            return connectionString;
        }

        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.Keys.Cast<string>().Any(static k => k.Replace(" ", "", StringComparison.Ordinal).Equals("ConnectionReset", StringComparison.OrdinalIgnoreCase)))
        {
            return connectionString;
        }

        return new MySqlConnectionStringBuilder(connectionString) { ConnectionReset = false }.ConnectionString;
    }

    /// <summary>Moves every connection-string node of the router onto a shared data source.</summary>
    public void Share(string router, ReadWriteRouterOptions options)
    {
        foreach (var node in options.Nodes)
        {
            if (node is { DataSource: null, ConnectionString: { Length: > 0 } connectionString } && !string.IsNullOrWhiteSpace(node.Name) && IsValid(connectionString))
            {
                node.DataSource = GetOrCreate(router, node.Name, connectionString);
                node.ConnectionString = null;
            }
        }
    }

    private static bool IsValid(string connectionString)
    {
        try
        {
            return !string.IsNullOrWhiteSpace(new MySqlConnectionStringBuilder(connectionString).Server);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources.Values)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }

        _sources.Clear();
    }

    public void Dispose()
    {
        foreach (var source in _sources.Values)
        {
            source.Dispose();
        }

        _sources.Clear();
    }
}
