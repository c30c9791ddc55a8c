using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>At start the router compares its pools with each real server's max_connections and warns when they can exceed it.</summary>
public sealed class ConnectionBudgetTests
{
    [Fact]
    public async Task Pools_that_can_open_more_than_the_server_accepts_are_warned_about_with_the_numbers_and_the_fix()
    {
        var records = await StartAsync(pool: 100_000, instances: 2);

        // One per server: the primary and the replica are two servers.
        var warnings = records.Where(r => r.Id.Id == 4100).ToList();
        Assert.Equal(2, warnings.Count);
        var warning = warnings[0];
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("too many clients", warning.Message, StringComparison.Ordinal);
        Assert.Contains("2 instance(s)", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Maximum Pool Size to at most", warning.Message, StringComparison.Ordinal);
        Assert.Contains($"max_connections {await MaxConnectionsAsync()}", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pools_within_the_servers_limits_are_not_warned_about()
    {
        var records = await StartAsync(pool: 2, instances: 1);

        Assert.DoesNotContain(records, r => r.Id.Id == 4100);
        Assert.Contains(records, r => r.Id.Id == 4101);
    }

    [Fact]
    public async Task A_server_that_cannot_be_asked_is_logged_and_start_is_not_held_up()
    {
        var closed = new NpgsqlConnectionStringBuilder(TestServers.Primary.ConnectionString) { Port = 1, Timeout = 1 }.ConnectionString;
        var records = await StartAsync(pool: 100_000, instances: 2, primary: closed, replica: closed);

        Assert.DoesNotContain(records, r => r.Id.Id == 4100);
        Assert.Contains(records, r => r.Id.Id == 4102 && r.Message.Contains(":1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_check_can_be_turned_off()
    {
        var records = await StartAsync(pool: 100_000, instances: 2, check: false);

        Assert.DoesNotContain(records, r => r.Id.Id is 4100 or 4101 or 4102);
    }

    [Fact]
    public void Bad_settings_are_refused_at_start_with_every_problem_named()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting("budget", o => o.AddNode("primary", TestServers.Primary.ConnectionString))
            .UseNpgsql(o =>
            {
                o.ExpectedInstances = 0;
                o.CheckTimeout = TimeSpan.Zero;
            });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<NpgsqlRoutingOptions>>().Get("budget"));

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("Router 'budget'", StringComparison.Ordinal) && f.Contains("ExpectedInstances must be at least 1", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("CheckTimeout must be positive", StringComparison.Ordinal));
    }

    private static async Task<IReadOnlyList<FakeLogRecord>> StartAsync(int pool, int instances, string? primary = null, string? replica = null, bool check = true)
    {
        string Sized(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = pool }.ConnectionString;
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddFakeLogging().SetMinimumLevel(LogLevel.Debug));
        services.AddReadWriteSplitting("budget", o => o
                .AddNode("primary", Sized(primary ?? TestServers.Primary.ConnectionString))
                .AddNode("replica", Sized(replica ?? TestServers.Replica.ConnectionString)))
            .UseNpgsql(o =>
            {
                o.ExpectedInstances = instances;
                o.CheckConnectionBudget = check;
                o.CheckTimeout = TimeSpan.FromSeconds(2);
            });
        await using var provider = services.BuildServiceProvider();
        var budget = provider.GetServices<IHostedService>().OfType<NpgsqlConnectionBudgetCheck>().Single();
        await budget.StartAsync(CancellationToken.None);
        await budget.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        return provider.GetFakeLogCollector().GetSnapshot();
    }

    private static async Task<string> MaxConnectionsAsync()
    {
        await using var connection = new NpgsqlConnection(TestServers.Primary.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW max_connections", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
