namespace DataPatterns.Testing.Tests;

public sealed class FixtureFailureTests
{
    // Port 1 on loopback: nothing listens there, so the fixtures must fail loudly, not skip.
    private static readonly TestServer Nowhere = new("nowhere", TestServerKind.PostgreSql, "DATAPATTERNS_PG_NOWHERE", "Host=127.0.0.1;Port=1;Username=postgres;Database=postgres");

    [Fact]
    public async Task An_unreachable_PostgreSQL_server_fails_with_a_message_that_says_what_to_do()
    {
        var error = await Assert.ThrowsAsync<ServerUnavailableException>(() => ServerConnections.OpenPostgresAsync(Nowhere));
        Assert.Same(Nowhere, error.Server);
        Assert.Contains("nowhere", error.Message, StringComparison.Ordinal);
        Assert.Contains("eng/services.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_Redis_server_fails_with_a_message_that_says_what_to_do()
    {
        var nowhere = new TestServer("redis-nowhere", TestServerKind.Redis, "DATAPATTERNS_REDIS_NOWHERE", "127.0.0.1:1");
        var error = await Assert.ThrowsAsync<ServerUnavailableException>(() => ServerConnections.ConnectRedisAsync(nowhere));
        Assert.Contains("redis-nowhere", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Redis_server_cannot_be_opened_as_PostgreSQL()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ServerConnections.OpenPostgresAsync(TestServers.Redis));
    }
}
