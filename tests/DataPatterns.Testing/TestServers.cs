namespace DataPatterns.Testing;

/// <summary>
/// The servers of ARCHITECTURE.md, read from the variables that <c>eng/services.sh env</c> prints,
/// with the same defaults as the script so a developer who ran <c>eng/services.sh up</c> needs nothing else.
/// </summary>
public static class TestServers
{
    /// <summary>The PostgreSQL primary (also "payments" in the two-phase-commit tests).</summary>
    public static TestServer Primary { get; } = Postgres("primary", "DATAPATTERNS_PG_PRIMARY", 55432);

    /// <summary>The streaming replica of <see cref="Primary"/>.</summary>
    public static TestServer Replica { get; } = Postgres("replica", "DATAPATTERNS_PG_REPLICA", 55433);

    /// <summary>An independent PostgreSQL server (also "orders", shard 2).</summary>
    public static TestServer Node2 { get; } = Postgres("node2", "DATAPATTERNS_PG_NODE2", 55434);

    /// <summary>An independent PostgreSQL server (shard 3).</summary>
    public static TestServer Node3 { get; } = Postgres("node3", "DATAPATTERNS_PG_NODE3", 55435);

    /// <summary>The Redis server.</summary>
    public static TestServer Redis { get; } = new(
        "redis", TestServerKind.Redis, "DATAPATTERNS_REDIS",
        Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") is { Length: > 0 } redis ? redis : "127.0.0.1:56379");

    /// <summary>The memcached servers (two by default), as "host:port" each.</summary>
    public static IReadOnlyList<TestServer> Memcached { get; } =
        (Environment.GetEnvironmentVariable("DATAPATTERNS_MEMCACHED") is { Length: > 0 } memcached ? memcached : "127.0.0.1:51211,127.0.0.1:51212")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select((server, i) => new TestServer($"memcached{i + 1}", TestServerKind.Memcached, "DATAPATTERNS_MEMCACHED", server))
            .ToList();

    /// <summary>True when the tests run in CI (<c>CI=true</c>), where an unreachable server is a failure.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static TestServer Postgres(string name, string variable, int defaultPort)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        return new TestServer(
            name,
            TestServerKind.PostgreSql,
            variable,
            string.IsNullOrWhiteSpace(value)
                ? $"Host=127.0.0.1;Port={defaultPort};Username=postgres;Database=postgres"
                : value);
    }
}
