using System.Data.Common;
using DataPatterns.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.Samples.Quickstart;

/// <summary>Writes go to the primary, plain reads to the replica, and a read-your-writes read sees the write just made.</summary>
internal static class RoutingQuickstart
{
    public static async Task<int> RunAsync(string[] args)
    {
        var primary = Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") ?? "Host=127.0.0.1;Port=55432;Username=postgres";
        var replica = Environment.GetEnvironmentVariable("DATAPATTERNS_PG_REPLICA") ?? "Host=127.0.0.1;Port=55433;Username=postgres";
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(options =>
            {
                options.AddNode("primary", primary).AddNode("replica", replica); // roles are found by probing
                options.ReadYourWritesWait = TimeSpan.FromMilliseconds(200);     // wait for the replica rather than fall back at once
            })
            .UseNpgsql();
        await using var provider = services.BuildServiceProvider();
        var router = provider.GetRequiredService<ReadWriteRouter>();
        await router.WaitUntilReadyAsync();
        await router.Primary.CreateCommand("CREATE TABLE IF NOT EXISTS quickstart_notes (id bigserial PRIMARY KEY, text text NOT NULL)").ExecuteNonQueryAsync();

        // One unit of work (an HTTP request in a web application) is one DI scope with its RoutingSession.
        await using var scope = provider.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<RoutingSession>();
        var written = await QueryAsync(session.OpenWriteConnectionAsync(), "INSERT INTO quickstart_notes (text) VALUES ('hello') RETURNING id, inet_server_port()");
        // The session's next read goes to a replica that has replayed that write (waiting up to 200 ms), else to the primary.
        var seen = await QueryAsync(session.OpenReadConnectionAsync(), "SELECT count(*), inet_server_port() FROM quickstart_notes WHERE id = $1", written.Value);
        // A plain read goes to a replica within the lag bound (MaxReplicaLag, 10 s by default): it may miss a recent write.
        var plain = await QueryAsync(router.Replica.OpenConnectionAsync(), "SELECT pg_is_in_recovery()::int, inet_server_port()");

        var primaryPort = new NpgsqlConnectionStringBuilder(primary).Port;
        string Role(int port) => port == primaryPort ? "primary" : "replica";
        Console.WriteLine($"write: note {written.Value} on port {written.Port} ({Role(written.Port)})");
        Console.WriteLine($"read-your-writes read: found {seen.Value} row on port {seen.Port} ({Role(seen.Port)})");
        Console.WriteLine($"plain read: port {plain.Port} ({Role(plain.Port)}), pg_is_in_recovery() = {plain.Value == 1}");
        return written.Port == primaryPort && seen.Value == 1 ? 0 : 1;
    }

    private static async Task<(long Value, int Port)> QueryAsync(ValueTask<DbConnection> opening, string sql, params object[] values)
    {
        await using var connection = await opening; // closing it ends the unit of work's use of that node
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt32(1));
    }
}
