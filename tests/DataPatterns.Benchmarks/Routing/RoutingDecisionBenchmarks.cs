using System.Data.Common;
using BenchmarkDotNet.Attributes;
using DataPatterns.Routing;
using DataPatterns.Routing.Npgsql;
using Npgsql;

namespace DataPatterns.Benchmarks.Routing;

/// <summary>
/// The routing decision alone (which node?), which must allocate nothing, beside the cheapest thing a plain data source
/// does per connection: create an unopened connection object (the baseline; routed, it is the decision plus the same).
/// </summary>
[MemoryDiagnoser]
public class RoutingDecisionBenchmarks
{
    private NpgsqlDataSource _plain = null!;
    private ReadWriteRouter _router = null!;
    private ConsistencyToken _token;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _plain = NpgsqlDataSource.Create(RoutingServers.Replica);
        var options = new ReadWriteRouterOptions()
            .AddNode("primary", RoutingServers.Primary)
            .AddNode("replica-a", RoutingServers.Replica)
            .AddNode("replica-b", RoutingServers.Replica)
            .UseNpgsql();
        _router = new ReadWriteRouter("bench-decision", options);
        await _router.WaitUntilReadyAsync();
        _token = _router.GetNodes().Single(n => n.Name == "replica-a").LogPosition;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _router.DisposeAsync();
        await _plain.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "NpgsqlDataSource.CreateConnection")]
    public DbConnection CreatePlain() => _plain.CreateConnection();

    [Benchmark(Description = "router.Replica.CreateConnection (decision + create)")]
    public DbConnection CreateRouted() => _router.Replica.CreateConnection();

    [Benchmark(Description = "decision: read (round-robin over 2 replicas)")]
    public object DecideRead() => _router.Route(RoutingIntent.Read, ConsistencyToken.None, out _);

    [Benchmark(Description = "decision: read-after-write with a token")]
    public object DecideReadAfterWrite() => _router.Route(RoutingIntent.ReadAfterWrite, _token, out _);

    [Benchmark(Description = "decision: write")]
    public object DecideWrite() => _router.Route(RoutingIntent.Write, ConsistencyToken.None, out _);
}
