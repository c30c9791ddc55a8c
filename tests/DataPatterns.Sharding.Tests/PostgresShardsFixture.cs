using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Sharding.Tests;

/// <summary>Three real PostgreSQL servers as three shards: a database of its own on the primary, node2 and node3.</summary>
public sealed class PostgresShardsFixture : IAsyncLifetime
{
    private readonly List<TemporaryDatabase> _databases = [];

    public IReadOnlyList<TemporaryDatabase> Databases => _databases;

    public Dictionary<string, NpgsqlDataSource> DataSources { get; } = [];

    public static string[] ShardNames => ["primary", "node2", "node3"];

    public async Task InitializeAsync()
    {
        foreach (var server in new[] { TestServers.Primary, TestServers.Node2, TestServers.Node3 })
        {
            var database = await TemporaryDatabase.CreateAsync(server, "sharding");
            _databases.Add(database);
            DataSources[server.Name] = NpgsqlDataSource.Create(database.ConnectionString);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var dataSource in DataSources.Values)
        {
            await dataSource.DisposeAsync();
        }

        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }

    /// <summary>Creates <paramref name="table"/> (fresh) on every shard.</summary>
    public async Task CreateTableAsync(string table, string columns)
    {
        foreach (var dataSource in DataSources.Values)
        {
            await using var command = dataSource.CreateCommand($"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({columns})");
            await command.ExecuteNonQueryAsync();
        }
    }
}
