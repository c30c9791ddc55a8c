using Npgsql;

namespace DataPatterns.Routing.Npgsql;

/// <summary>A router's nodes grouped by the PostgreSQL server (host and port) they reach, with what they can open there.</summary>
internal sealed record ServerPools(string Endpoint, string ConnectionString, IReadOnlyList<string> Nodes, int ConnectionsPerInstance)
{
    /// <summary>
    /// Groups the nodes whose connection string is known by server. Each node can hold its Maximum Pool Size (100 when
    /// unset; 1 without pooling) plus the router's probe connection.
    /// </summary>
    public static IReadOnlyList<ServerPools> Of(ReadWriteRouterOptions options)
    {
        var nodes = new List<(string Endpoint, string ConnectionString, string Node, int Connections)>();
        foreach (var node in options.Nodes)
        {
            var connectionString = node.ConnectionString ?? node.DataSource?.ConnectionString;
            if (string.IsNullOrEmpty(connectionString))
            {
                continue;
            }

            NpgsqlConnectionStringBuilder parsed;
            try
            {
                parsed = new NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException)
            {
                continue; // not an Npgsql connection string: the router's own validation reports it
            }

            // A data source hides its password from ConnectionString; the check then cannot log in and says so.
            var pool = parsed.Pooling ? parsed.MaxPoolSize : 1;
            nodes.Add(($"{parsed.Host}:{parsed.Port}", connectionString, node.Name, pool + 1));
        }

        return [.. nodes.GroupBy(n => n.Endpoint, StringComparer.OrdinalIgnoreCase)
            .Select(g => new ServerPools(g.Key, g.First().ConnectionString, [.. g.Select(n => n.Node)], g.Sum(n => n.Connections)))];
    }
}
