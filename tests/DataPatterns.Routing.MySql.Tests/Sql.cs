using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using DataPatterns.Routing.MySql;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>Small SQL helpers for the primary/replica tests.</summary>
internal static class Sql
{
    public static async Task<object?> ScalarAsync(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return await command.ExecuteScalarAsync();
    }

    public static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        return await ScalarAsync(connection, sql);
    }

    public static long ToLong(object? value) => Convert.ToInt64(value, CultureInfo.InvariantCulture);

    /// <summary>The port of the server that answers on this connection.</summary>
    public static async Task<int> ServerPortAsync(DbConnection connection) => (int)ToLong(await ScalarAsync(connection, "SELECT @@port"));

    public static async Task<int> PortOfAsync(DbDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await ServerPortAsync(connection);
    }

    public static int PortOf(string connectionString) => (int)new MySqlConnectionStringBuilder(connectionString).Port;

    /// <summary>The primary's sequence number in GTID domain 0 now.</summary>
    public static async Task<ulong> PrimarySequenceAsync(string connectionString) =>
        MariaDbGtidPosition.Parse((string)(await ScalarAsync(connectionString, "SELECT @@global.gtid_binlog_pos"))!).SequenceOf(0);

    /// <summary>Waits until the replica has replayed everything the primary has written so far.</summary>
    public static async Task CatchUpAsync(string primary, string replica)
    {
        var position = (string)(await ScalarAsync(primary, "SELECT @@global.gtid_binlog_pos"))!;
        Assert.Equal(0L, ToLong(await ScalarAsync(replica, $"SELECT MASTER_GTID_WAIT('{position}', 30)")));
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < timeout, $"{what} did not happen within {timeout.TotalSeconds} s.");
            await Task.Delay(50);
        }
    }

    /// <summary>Options with the short intervals the tests need, for a primary and a replica.</summary>
    public static ReadWriteRouterOptions Options(string primary, string replica, NodeRole roles = NodeRole.Any) =>
        new ReadWriteRouterOptions
        {
            ProbeInterval = TimeSpan.FromMilliseconds(200),
            ProbeTimeout = TimeSpan.FromSeconds(10), // generous: CI runs every test project at once
            EjectionCooldown = TimeSpan.FromMilliseconds(500),
        }
        .AddNode("primary", Pooled(primary), roles == NodeRole.Any ? NodeRole.Any : NodeRole.Primary)
        .AddNode("replica", Pooled(replica), roles == NodeRole.Any ? NodeRole.Any : NodeRole.Replica)
        .UseMySql();

    /// <summary>A short connect timeout so a stopped server is noticed quickly.</summary>
    public static string Pooled(string connectionString) =>
        new MySqlConnectionStringBuilder(connectionString) { ConnectionTimeout = 5, DefaultCommandTimeout = 30 }.ConnectionString;

    /// <summary>A table name of the test's own on the shared servers.</summary>
    public static string NewTable(string prefix) => $"{prefix}_{Guid.NewGuid():N}";
}
