using DataPatterns.Routing;
using DataPatterns.Routing.MySql.Galera;
using MySqlConnector;

namespace DataPatterns.Benchmarks.Galera;

/// <summary>The Galera nodes of eng/services.sh (same variable and defaults as the tests), and a router over them.</summary>
internal static class GaleraServers
{
    public static IReadOnlyList<string> Nodes { get; } =
        (Environment.GetEnvironmentVariable("DATAPATTERNS_GALERA") is { Length: > 0 } value
            ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [Node(53316), Node(53317), Node(53318)])
        .Select(cs => new MySqlConnectionStringBuilder(cs) { ConnectionReset = false }.ConnectionString)
        .ToList();

    /// <summary>A router in Galera mode over every node, its node data sources, and a writer sharing them.</summary>
    public static async Task<(ReadWriteRouter Router, GaleraWriter Writer, MySqlDataSource[] DataSources)> StartAsync(string name)
    {
        var options = new ReadWriteRouterOptions();
        var dataSources = new MySqlDataSource[Nodes.Count];
        for (var i = 0; i < Nodes.Count; i++)
        {
            dataSources[i] = new MySqlDataSource(Nodes[i]);
            options.AddNode($"galera{i + 1}", dataSources[i]);
        }

        var router = new ReadWriteRouter(name, options.UseGalera());
        await router.WaitUntilReadyAsync();
        var writer = new GaleraWriter(router, dataSources.Select((d, i) => (Name: $"galera{i + 1}", Source: (System.Data.Common.DbDataSource)d)).ToDictionary(p => p.Name, p => p.Source));
        return (router, writer, dataSources);
    }

    public static async Task ExecuteAsync(MySqlDataSource dataSource, string sql)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string Node(int port) => $"Server=127.0.0.1;Port={port};User ID=root;Password=;Database=datapatterns";
}
