using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>Issue #13 against real PostgreSQL: a full pool or a full server is overload, never a dead node.</summary>
public sealed class OverloadTests
{
    [Fact]
    public async Task A_probe_runs_on_its_own_connection_while_the_application_pool_is_exhausted()
    {
        await using var router = new ReadWriteRouter("overload-probe", OnePooledConnection());
        await router.WaitUntilReadyAsync();

        // The application holds the primary's only pooled connection: before #13 the probe queued behind it and ejected the node.
        await using var held = await router.Primary.OpenConnectionAsync();
        for (var cycle = 0; cycle < 3; cycle++)
        {
            await router.ProbeAsync();
        }

        var primary = router.GetNodes().Single(n => n.Name == "primary");
        Assert.True(primary.IsHealthy);
        Assert.False(primary.IsSlow);
        Assert.Equal(NodeRole.Primary, primary.Role);
    }

    [Fact]
    public async Task An_exhausted_pool_is_overload_with_a_retry_hint_and_does_not_eject_the_node()
    {
        await using var router = new ReadWriteRouter("overload-pool", OnePooledConnection());
        await router.WaitUntilReadyAsync();
        await using (var held = await router.Primary.OpenConnectionAsync())
        {
            var error = await Assert.ThrowsAsync<NodeOverloadedException>(async () => await router.Primary.OpenConnectionAsync());
            Assert.Equal("primary", error.NodeName);
            Assert.True(error.IsTransient);
            Assert.True(error.RetryAfter > TimeSpan.Zero);
            var cause = Assert.IsType<NpgsqlException>(error.InnerException);
            Assert.StartsWith("The connection pool has been exhausted", cause.Message, StringComparison.Ordinal);
            Assert.True(router.GetNodes().Single(n => n.Name == "primary").IsHealthy);
        }

        // Once the connection is back in the pool, the same node serves at once: nothing was ejected.
        Assert.Equal(Sql.PortOf(TestServers.Primary.ConnectionString), await Sql.PortOfAsync(router.Primary));
    }

    [Fact]
    public async Task A_server_out_of_connection_slots_53300_is_overload_and_does_not_eject_the_node()
    {
        await using var server = await PrivatePostgres.StartNewAsync("routing-overload");
        await Sql.ExecuteAsync(server.ConnectionString, "ALTER SYSTEM SET max_connections = 8");
        await Sql.ExecuteAsync(server.ConnectionString, "ALTER SYSTEM SET superuser_reserved_connections = 0");
        await server.StopAsync(immediate: false);
        await server.StartAsync();

        var options = new ReadWriteRouterOptions { ProbeInterval = TimeSpan.FromMilliseconds(200), ProbeTimeout = TimeSpan.FromSeconds(10) }
            .AddNode("primary", Sql.Pooled(server.ConnectionString))
            .UseNpgsql();
        await using var router = new ReadWriteRouter("overload-server", options);
        await router.WaitUntilReadyAsync();

        // Take every slot left (the probe already holds its own), as the other instances' pools did in the incident.
        var fillers = new List<NpgsqlConnection>();
        try
        {
            PostgresException? refused = null;
            while (refused is null && fillers.Count < 20)
            {
                var filler = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString);
                try
                {
                    await filler.OpenAsync();
                    fillers.Add(filler);
                }
                catch (PostgresException ex)
                {
                    await filler.DisposeAsync();
                    refused = ex;
                }
            }

            Assert.Equal(PostgresErrorCodes.TooManyConnections, refused?.SqlState);

            var error = await Assert.ThrowsAsync<NodeOverloadedException>(async () => await router.Primary.OpenConnectionAsync());
            Assert.Equal(PostgresErrorCodes.TooManyConnections, Assert.IsType<PostgresException>(error.InnerException).SqlState);
            Assert.True(error.IsTransient);

            // The probe still answers on its own connection: the node stays in rotation, neither ejected nor slow.
            await router.ProbeAsync();
            var primary = router.GetNodes().Single(n => n.Name == "primary");
            Assert.True(primary.IsHealthy);
            Assert.False(primary.IsSlow);
        }
        finally
        {
            foreach (var filler in fillers)
            {
                await filler.DisposeAsync();
            }
        }

        Assert.Equal(server.Port, await Sql.PortOfAsync(router.Primary));
    }

    [Fact]
    public void The_classifier_reads_too_many_clients_and_cannot_connect_now_as_overload_and_other_errors_not()
    {
        var classifier = NpgsqlRoutingFailureClassifier.Instance;
        Assert.True(classifier.IsOverload(new PostgresException("sorry, too many clients already", "FATAL", "FATAL", PostgresErrorCodes.TooManyConnections)));
        Assert.True(classifier.IsOverload(new PostgresException("the database system is starting up", "FATAL", "FATAL", PostgresErrorCodes.CannotConnectNow)));
        Assert.False(classifier.IsOverload(new PostgresException("password authentication failed", "FATAL", "FATAL", PostgresErrorCodes.InvalidPassword)));
        Assert.False(classifier.IsOverload(new NpgsqlException("Failed to connect to 127.0.0.1:1")));
        Assert.False(classifier.IsOverload(new TimeoutException()));
    }

    private static ReadWriteRouterOptions OnePooledConnection()
    {
        static string OneConnection(string connectionString) =>
            new NpgsqlConnectionStringBuilder(Sql.Pooled(connectionString)) { MaxPoolSize = 1, Timeout = 1 }.ConnectionString;
        var options = Sql.Options(OneConnection(TestServers.Primary.ConnectionString), OneConnection(TestServers.Replica.ConnectionString));
        options.ProbeTimeout = TimeSpan.FromSeconds(3);
        return options;
    }
}
