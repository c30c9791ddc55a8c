using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>UseMySql() on the DI builder, and what it says about bad input at start-up.</summary>
public sealed class RegistrationTests
{
    private static readonly string Primary = TestServers.MariaDbPrimary.ConnectionString;
    private static readonly string Replica = TestServers.MariaDbReplica.ConnectionString;

    [Fact]
    public async Task The_smallest_setup_routes_writes_to_the_primary_and_reads_to_the_replica()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(options => options
                .AddNode("primary", Primary)
                .AddNode("replica", Replica))
            .UseMySql();
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var router = provider.GetRequiredService<ReadWriteRouter>();
        await router.WaitUntilReadyAsync();
        Assert.Equal(Sql.PortOf(Primary), await Sql.PortOfAsync(router.Primary));
        Assert.Equal(Sql.PortOf(Replica), await Sql.PortOfAsync(router.Replica));
        Assert.IsType<MySqlRoutingProbe>(provider.GetRequiredService<IOptionsMonitor<ReadWriteRouterOptions>>().Get("").Probe);
    }

    [Fact]
    public void A_connection_string_mysqlconnector_refuses_fails_the_start_naming_the_node()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(options => options
                .AddNode("primary", Primary)
                .AddNode("replica", "Server=127.0.0.1;Bogus Setting=1")
                .AddNode("nohost", "User ID=root"))
            .UseMySql(o => o.Dialect = (MySqlDialect)42);
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<AggregateException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var messages = string.Join("\n", error.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures));
        Assert.Contains("node 'replica' has a connection string MySqlConnector does not accept", messages, StringComparison.Ordinal);
        Assert.Contains("bogus setting", messages, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("node 'nohost' has a connection string without Server", messages, StringComparison.Ordinal);
        Assert.Contains("Dialect is 42", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_that_is_not_a_mariadb_server_takes_no_writes_and_the_start_up_check_says_to_check_the_address()
    {
        // The PostgreSQL primary's port: it never sends the MySQL greeting.
        var notMariaDb = $"Server=127.0.0.1;Port={new Npgsql.NpgsqlConnectionStringBuilder(TestServers.Primary.ConnectionString).Port};User ID=root;Connection Timeout=2";
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)));
        services.AddReadWriteSplitting(options =>
            {
                options.AddNode("postgres", notMariaDb, NodeRole.Primary);
                options.ProbeTimeout = TimeSpan.FromSeconds(5);
            })
            .UseMySql();
        await using var provider = services.BuildServiceProvider();
        var router = provider.GetRequiredService<ReadWriteRouter>();
        var error = await Assert.ThrowsAsync<NoPrimaryAvailableException>(async () => await router.Primary.OpenConnectionAsync());
        Assert.Contains("'postgres'", error.Message + error.InnerException?.Message, StringComparison.Ordinal);
        Assert.False(router.GetNodes().Single().IsHealthy);

        var check = provider.GetServices<IHostedService>().OfType<MySqlStartupCheck>().Single();
        await check.StartAsync(default);
        await check.Completion;
        var logged = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 4202);
        Assert.Contains("is a MariaDB or MySQL server", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_start_up_check_reports_each_nodes_version_and_role()
    {
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Information));
        services.AddReadWriteSplitting("shop", options => options.AddNode("primary", Primary).AddNode("replica", Replica)).UseMySql();
        await using var provider = services.BuildServiceProvider();
        var check = provider.GetServices<IHostedService>().OfType<MySqlStartupCheck>().Single();
        await check.StartAsync(default);
        await check.Completion;
        var checkedNodes = logs.GetSnapshot().Where(r => r.Id.Id == 4205).Select(r => r.Message).ToArray();
        Assert.Contains(checkedNodes, m => m.Contains("'primary'", StringComparison.Ordinal) && m.Contains("writable", StringComparison.Ordinal) && m.Contains("MariaDB", StringComparison.Ordinal));
        Assert.Contains(checkedNodes, m => m.Contains("'replica'", StringComparison.Ordinal) && m.Contains("read-only", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Level >= LogLevel.Warning);
    }
}
