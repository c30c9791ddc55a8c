using DataPatterns.Testing;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>A full pool or a full server is overload, never a dead node.</summary>
public sealed class OverloadTests
{
    [Fact]
    public async Task A_probe_runs_on_its_own_connection_while_the_application_pool_is_exhausted()
    {
        await using var router = new ReadWriteRouter("overload-probe", OnePooledConnection());
        await router.WaitUntilReadyAsync();
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
            var cause = Assert.IsType<MySqlException>(error.InnerException);
            Assert.Contains("All pooled connections are in use", cause.Message, StringComparison.Ordinal);
            Assert.True(router.GetNodes().Single(n => n.Name == "primary").IsHealthy);
        }

        Assert.Equal(Sql.PortOf(TestServers.MariaDbPrimary.ConnectionString), await Sql.PortOfAsync(router.Primary));
    }

    [Fact]
    public async Task A_server_out_of_connections_1040_is_overload_and_does_not_eject_the_node()
    {
        await using var server = await PrivateMariaDb.StartNewAsync("rt-full");
        var options = new ReadWriteRouterOptions { ProbeInterval = TimeSpan.FromMilliseconds(200), ProbeTimeout = TimeSpan.FromSeconds(10) }
            .AddNode("primary", Sql.Pooled(server.ConnectionString))
            .UseMySql();
        await using var router = new ReadWriteRouter("overload-server", options);
        await router.WaitUntilReadyAsync();
        await server.ExecuteAsync("SET GLOBAL max_connections = 4");

        // Take every slot left (the probe already holds its own); root also has MariaDB's one extra SUPER slot.
        var fillers = new List<MySqlConnection>();
        try
        {
            MySqlException? refused = null;
            while (refused is null && fillers.Count < 20)
            {
                var filler = new MySqlConnection(new MySqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString);
                try
                {
                    await filler.OpenAsync();
                    fillers.Add(filler);
                }
                catch (MySqlException ex)
                {
                    await filler.DisposeAsync();
                    refused = ex;
                }
            }

            Assert.Equal(MySqlErrorCode.ConnectionCountError, refused?.ErrorCode);
            var error = await Assert.ThrowsAsync<NodeOverloadedException>(async () => await router.Primary.OpenConnectionAsync());
            Assert.Equal(MySqlErrorCode.ConnectionCountError, Assert.IsType<MySqlException>(error.InnerException).ErrorCode);
            Assert.True(error.IsTransient);

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
    public void The_classifier_takes_only_overload_for_overload()
    {
        var classifier = MySqlRoutingFailureClassifier.Instance;
        Assert.False(classifier.IsOverload(new TimeoutException()));
        Assert.False(classifier.IsOverload(new InvalidOperationException("All pooled connections are in use")));
    }

    private static ReadWriteRouterOptions OnePooledConnection()
    {
        static string OneConnection(string connectionString) =>
            new MySqlConnectionStringBuilder(Sql.Pooled(connectionString)) { MaximumPoolSize = 1, ConnectionTimeout = 1 }.ConnectionString;
        var options = Sql.Options(OneConnection(TestServers.MariaDbPrimary.ConnectionString), OneConnection(TestServers.MariaDbReplica.ConnectionString));
        options.ProbeTimeout = TimeSpan.FromSeconds(3);
        return options;
    }
}
