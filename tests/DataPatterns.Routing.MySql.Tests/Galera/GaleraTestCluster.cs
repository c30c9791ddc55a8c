using System.Data.Common;
using System.Globalization;
using DataPatterns.Routing.MySql.Galera;
using DataPatterns.Testing;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests.Galera;

/// <summary>
/// A router in Galera mode over the shared three-node cluster, with its node data sources (shared with a
/// <see cref="GaleraWriter"/>) and a table of the test's own.
/// </summary>
internal sealed class GaleraTestCluster : IAsyncDisposable
{
    private readonly Dictionary<string, MySqlDataSource> _dataSources;

    private GaleraTestCluster(ReadWriteRouter router, Dictionary<string, MySqlDataSource> dataSources, GaleraWriter writer, string table)
    {
        Router = router;
        _dataSources = dataSources;
        Writer = writer;
        Table = table;
    }

    public ReadWriteRouter Router { get; }

    public GaleraWriter Writer { get; }

    /// <summary>A table <c>(id INT PRIMARY KEY, v INT)</c> with row (1, 0), created on galera1 and replicated.</summary>
    public string Table { get; }

    public static async Task<GaleraTestCluster> StartAsync(string name, GaleraRoutingOptions? galera = null, IEnumerable<int>? nodeOrder = null, TimeSpan? probeInterval = null)
    {
        var dataSources = new Dictionary<string, MySqlDataSource>();
        var options = new ReadWriteRouterOptions { ProbeInterval = probeInterval ?? TimeSpan.FromMilliseconds(250), EjectionCooldown = TimeSpan.FromSeconds(1) };
        foreach (var i in nodeOrder ?? [0, 1, 2])
        {
            var server = TestServers.Galera[i];
            var settings = new MySqlConnectionStringBuilder(server.ConnectionString) { ConnectionTimeout = 3, ConnectionReset = false };
            var dataSource = new MySqlDataSource(settings.ConnectionString);
            dataSources[server.Name] = dataSource;
            options.AddNode(server.Name, dataSource);
        }

        var router = new ReadWriteRouter(name, options.UseGalera());
        await router.WaitUntilReadyAsync();
        var table = $"g_{name}_{Guid.NewGuid():N}";
        await ServerConnections.ScalarAsync(TestServers.Galera[0], $"CREATE TABLE `{table}` (id INT PRIMARY KEY, v INT NOT NULL); INSERT INTO `{table}` VALUES (1, 0);");
        var writer = new GaleraWriter(router, dataSources.ToDictionary(p => p.Key, p => (DbDataSource)p.Value), galera);
        return new GaleraTestCluster(router, dataSources, writer, table);
    }

    /// <summary>Two keys whose writes go to different nodes now.</summary>
    public (string First, string Second) KeysOnTwoNodes()
    {
        var first = "key-0";
        var node = Writer.NodeFor(first);
        for (var i = 1; i < 1000; i++)
        {
            var other = $"key-{i.ToString(CultureInfo.InvariantCulture)}";
            if (Writer.NodeFor(other) != node)
            {
                return (first, other);
            }
        }

        throw new InvalidOperationException("No two keys on two nodes: is only one node Synced?");
    }

    /// <summary>The row's value on one node, after that node caught up with the cluster.</summary>
    public async Task<int> ValueOnAsync(TestServer server)
    {
        await using var connection = await OpenUnpooledAsync(server);
        await GaleraCausalReads.SyncAsync(connection);
        await using var command = new MySqlCommand($"SELECT v FROM `{Table}` WHERE id = 1", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Adds <paramref name="amount"/> to the row in the transaction, after <paramref name="beforeCommit"/>.</summary>
    public Func<DbConnection, DbTransaction, CancellationToken, ValueTask<int>> Increment(int amount, Func<Task>? beforeCommit = null) =>
        async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"UPDATE `{Table}` SET v = v + {amount.ToString(CultureInfo.InvariantCulture)} WHERE id = 1";
            await command.ExecuteNonQueryAsync(ct);
            if (beforeCommit is not null)
            {
                await beforeCommit();
            }

            // A statement after the wait: a transaction aborted by a replicated write learns it here at the latest.
            command.CommandText = $"SELECT v FROM `{Table}` WHERE id = 1";
            return Convert.ToInt32(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        };

    /// <summary>A connection of its own (never a pooled one MySqlConnector reset, on which Galera ignores wsrep_sync_wait).</summary>
    public static async Task<MySqlConnection> OpenUnpooledAsync(TestServer server)
    {
        var connection = new MySqlConnection(new MySqlConnectionStringBuilder(server.ConnectionString) { Pooling = false, ConnectionTimeout = 5 }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public static async Task<int> PortOfAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT @@port";
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public static int PortOf(TestServer server) => (int)new MySqlConnectionStringBuilder(server.ConnectionString).Port;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ServerConnections.ScalarAsync(TestServers.Galera[0], $"DROP TABLE IF EXISTS `{Table}`");
        }
        catch (ServerUnavailableException)
        {
            // A node down at clean-up must not hide the test's own outcome; the leftover table has a unique name and harms nothing.
        }

        await Router.DisposeAsync();
        foreach (var dataSource in _dataSources.Values)
        {
            await dataSource.DisposeAsync();
        }
    }
}

/// <summary>Every test that touches the shared Galera cluster runs in this collection, one at a time (one of them kills a node).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedGaleraCluster
{
    public const string Name = "Galera cluster";
}
