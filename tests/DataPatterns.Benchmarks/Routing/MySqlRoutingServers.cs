namespace DataPatterns.Benchmarks.Routing;

/// <summary>The MariaDB GTID primary and replica of eng/services.sh (same variables and defaults as the tests).</summary>
internal static class MySqlRoutingServers
{
    public static string Primary => Environment.GetEnvironmentVariable("DATAPATTERNS_MARIADB_PRIMARY") is { Length: > 0 } value
        ? value : "Server=127.0.0.1;Port=53306;User ID=root;Password=;Database=datapatterns";

    public static string Replica => Environment.GetEnvironmentVariable("DATAPATTERNS_MARIADB_REPLICA") is { Length: > 0 } value
        ? value : "Server=127.0.0.1;Port=53307;User ID=root;Password=;Database=datapatterns";
}
