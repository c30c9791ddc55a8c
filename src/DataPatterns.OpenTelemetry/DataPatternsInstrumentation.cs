namespace DataPatterns.OpenTelemetry;

/// <summary>
/// The names of every DataPatterns package's <see cref="System.Diagnostics.Metrics.Meter"/> and
/// <see cref="System.Diagnostics.ActivitySource"/> (one of each per package, both named after the package).
/// A package that emits nothing yet is listed too: a name nothing uses costs nothing, and this package does not have
/// to change when a provider package starts to emit.
/// </summary>
public static class DataPatternsInstrumentation
{
    /// <summary>Every package's Meter and ActivitySource name.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "DataPatterns.Caching",
        "DataPatterns.Caching.Redis",
        "DataPatterns.Caching.Memcached",
        "DataPatterns.Routing",
        "DataPatterns.Routing.Npgsql",
        "DataPatterns.Sharding",
        "DataPatterns.Transactions",
        "DataPatterns.Transactions.Npgsql",
        "DataPatterns.Cqrs",
        "DataPatterns.Cqrs.Npgsql",
        "DataPatterns.Cqrs.Redis",
        "DataPatterns.EntityFrameworkCore",
        "DataPatterns.AspNetCore",
    ];
}
