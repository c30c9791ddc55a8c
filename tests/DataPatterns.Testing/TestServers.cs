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

    /// <summary>The MariaDB primary (binlog, GTID); also "orders" in the cross-engine two-phase-commit tests.</summary>
    public static TestServer MariaDbPrimary { get; } = MariaDb("mariadb-primary", "DATAPATTERNS_MARIADB_PRIMARY", 53306);

    /// <summary>The GTID replica of <see cref="MariaDbPrimary"/> (read_only).</summary>
    public static TestServer MariaDbReplica { get; } = MariaDb("mariadb-replica", "DATAPATTERNS_MARIADB_REPLICA", 53307);

    /// <summary>An independent MariaDB server (a second XA participant and shard).</summary>
    public static TestServer MariaDbNode2 { get; } = MariaDb("mariadb-node2", "DATAPATTERNS_MARIADB_NODE2", 53308);

    /// <summary>The three nodes of the Galera cluster, in port order.</summary>
    public static IReadOnlyList<TestServer> Galera { get; } =
        (Environment.GetEnvironmentVariable("DATAPATTERNS_GALERA") is { Length: > 0 } galera
            ? galera.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [MariaDbConnectionString(53316), MariaDbConnectionString(53317), MariaDbConnectionString(53318)])
        .Select((server, i) => new TestServer($"galera{i + 1}", TestServerKind.MariaDb, "DATAPATTERNS_GALERA", server))
        .ToList();

    /// <summary>
    /// The folder of the MariaDB servers' option files: a test that kills one of them starts it again with
    /// <c>mariadbd --defaults-file={MariaDbDirectory}/{name}.cnf</c> as the mysql user (see <see cref="SharedMariaDb"/>).
    /// </summary>
    public static string MariaDbDirectory { get; } =
        Environment.GetEnvironmentVariable("DATAPATTERNS_MARIADB_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetEnvironmentVariable("DATAPATTERNS_SERVICES_DIR") is { Length: > 0 } services ? services : "/tmp/datapatterns-services", "mariadb");

    /// <summary>True when the tests run in CI (<c>CI=true</c>), where an unreachable server is a failure.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string MariaDbConnectionString(int port) => $"Server=127.0.0.1;Port={port};User ID=root;Password=;Database=datapatterns";

    private static TestServer MariaDb(string name, string variable, int defaultPort)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        return new TestServer(name, TestServerKind.MariaDb, variable, string.IsNullOrWhiteSpace(value) ? MariaDbConnectionString(defaultPort) : value);
    }

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
