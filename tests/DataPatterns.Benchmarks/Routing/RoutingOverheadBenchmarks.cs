using BenchmarkDotNet.Attributes;
using DataPatterns.Routing;
using DataPatterns.Routing.Npgsql;
using Npgsql;

namespace DataPatterns.Benchmarks.Routing;

/// <summary>
/// <c>SELECT 1</c> on a pooled connection to the replica: through a plain NpgsqlDataSource (the baseline), through the
/// router's replica data source, and through a read-your-writes session with no write (the common read of a request).
/// The difference is the router's whole cost per connection: the routing decision, open-connection tracking and metrics.
/// </summary>
[MemoryDiagnoser]
public class RoutingOverheadBenchmarks
{
    private NpgsqlDataSource _plain = null!;
    private ReadWriteRouter _router = null!;
    private RoutingSession _session = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _plain = NpgsqlDataSource.Create(RoutingServers.Replica);
        var options = new ReadWriteRouterOptions()
            .AddNode("primary", RoutingServers.Primary)
            .AddNode("replica", RoutingServers.Replica)
            .UseNpgsql();
        _router = new ReadWriteRouter("bench", options);
        await _router.WaitUntilReadyAsync();
        _session = _router.CreateSession();
        if (await SelectOneRoutedAsync() != 1 || await SelectOneSessionAsync() != 1 || await SelectOnePlainAsync() != 1)
        {
            throw new InvalidOperationException("SELECT 1 did not answer 1.");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _router.DisposeAsync();
        await _plain.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "NpgsqlDataSource: open, SELECT 1")]
    public async Task<int> SelectOnePlainAsync()
    {
        await using var connection = await _plain.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    [Benchmark(Description = "router.Replica: open, SELECT 1")]
    public async Task<int> SelectOneRoutedAsync()
    {
        await using var connection = await _router.Replica.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT 1", (NpgsqlConnection)connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    [Benchmark(Description = "session.Reads (read-your-writes): open, SELECT 1")]
    public async Task<int> SelectOneSessionAsync()
    {
        await using var connection = await _session.OpenReadConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT 1", (NpgsqlConnection)connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
