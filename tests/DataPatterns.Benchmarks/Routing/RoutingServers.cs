namespace DataPatterns.Benchmarks.Routing;

/// <summary>The primary and replica of eng/services.sh (same variables and defaults as the tests).</summary>
internal static class RoutingServers
{
    public static string Primary => Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") is { Length: > 0 } value
        ? value : "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";

    public static string Replica => Environment.GetEnvironmentVariable("DATAPATTERNS_PG_REPLICA") is { Length: > 0 } value
        ? value : "Host=127.0.0.1;Port=55433;Username=postgres;Database=postgres";
}
