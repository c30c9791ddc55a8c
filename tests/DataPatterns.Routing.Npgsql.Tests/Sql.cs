using System.Data.Common;
using System.Diagnostics;
using DataPatterns.Routing.Npgsql;
using Npgsql;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>Small SQL helpers for the tests.</summary>
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

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await ScalarAsync(connection, sql);
    }

    /// <summary>The port of the server that answers on this connection.</summary>
    public static async Task<int> ServerPortAsync(DbConnection connection) => (int)(await ScalarAsync(connection, "SELECT inet_server_port()"))!;

    public static async Task<int> PortOfAsync(DbDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await ServerPortAsync(connection);
    }

    public static int PortOf(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Port;

    /// <summary>Waits until a database made on the primary can be opened on the replica (it replicates in milliseconds).</summary>
    public static async Task WaitUntilOpensAsync(string connectionString, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(20);
            }
        }
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
        .UseNpgsql();

    /// <summary>A short connect timeout so a stopped server is noticed quickly.</summary>
    public static string Pooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 5, CommandTimeout = 30 }.ConnectionString;
}
