using BenchmarkDotNet.Attributes;
using DataPatterns.Routing;
using DataPatterns.Routing.Npgsql;
using Npgsql;

namespace DataPatterns.Benchmarks.Routing;

/// <summary>
/// Open and close a pooled connection, no query: the part of a request the router touches, without the round trip that
/// hides it. Plain NpgsqlDataSource (baseline) against the router's replica data source.
/// </summary>
[MemoryDiagnoser]
public class RoutingOpenBenchmarks
{
    private NpgsqlDataSource _plain = null!;
    private ReadWriteRouter _router = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _plain = NpgsqlDataSource.Create(RoutingServers.Replica);
        var options = new ReadWriteRouterOptions()
            .AddNode("primary", RoutingServers.Primary)
            .AddNode("replica", RoutingServers.Replica)
            .UseNpgsql();
        _router = new ReadWriteRouter("bench-open", options);
        await _router.WaitUntilReadyAsync();
        await OpenPlainAsync();
        await OpenRoutedAsync();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _router.DisposeAsync();
        await _plain.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "NpgsqlDataSource: open + close (pooled)")]
    public async Task OpenPlainAsync()
    {
        await using var connection = await _plain.OpenConnectionAsync();
    }

    [Benchmark(Description = "router.Replica: open + close (pooled)")]
    public async Task OpenRoutedAsync()
    {
        await using var connection = await _router.Replica.OpenConnectionAsync();
    }
}
