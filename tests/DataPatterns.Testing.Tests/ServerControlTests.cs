namespace DataPatterns.Testing.Tests;

public sealed class ServerControlTests
{
    [Fact]
    public async Task A_stopped_server_refuses_connections_and_answers_again_after_start()
    {
        // node3 is the server no other test in this project uses.
        var server = TestServers.Node3;
        Assert.Equal(1, await ServerConnections.ScalarAsync(server, "SELECT 1"));

        await PostgresServerControl.StopAsync(server);
        try
        {
            await Assert.ThrowsAsync<ServerUnavailableException>(() => ServerConnections.ScalarAsync(server, "SELECT 1"));
        }
        finally
        {
            await PostgresServerControl.StartAsync(server);
        }

        Assert.Equal(1, await ServerConnections.ScalarAsync(server, "SELECT 1"));
    }
}
