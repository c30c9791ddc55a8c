namespace DataPatterns.Testing;

/// <summary>The kind of a server the tests use.</summary>
public enum TestServerKind
{
    /// <summary>A PostgreSQL server.</summary>
    PostgreSql,

    /// <summary>A Redis server.</summary>
    Redis,

    /// <summary>A memcached server.</summary>
    Memcached,

    /// <summary>A MariaDB server (MySQL protocol; a Galera node is one too).</summary>
    MariaDb,
}

/// <summary>
/// One server from eng/services.sh (or the developer's own, through the environment variable).
/// </summary>
/// <param name="Name">The role: primary, replica, node2, node3 or redis.</param>
/// <param name="Kind">PostgreSQL or Redis.</param>
/// <param name="EnvironmentVariable">The variable that overrides <paramref name="ConnectionString"/>.</param>
/// <param name="ConnectionString">An Npgsql or MySqlConnector connection string, a StackExchange.Redis configuration string, or "host:port" of memcached.</param>
public sealed record TestServer(string Name, TestServerKind Kind, string EnvironmentVariable, string ConnectionString)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} ({ConnectionString})";
}
