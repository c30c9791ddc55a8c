using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace DataPatterns.Transactions.MySql.Tests;

public sealed class StartupCheckTests
{
    [Fact]
    public async Task A_reachable_mariadb_with_innodb_tables_passes()
    {
        await using var bank = await CrossEngineBank.CreateAsync("xacheck");
        await using var resource = MySqlTransactionResource.Create("orders", bank.Orders);

        await resource.ValidateAsync(CancellationToken.None); // throws on failure

        Assert.Equal("orders", resource.Name);
    }

    [Fact]
    public async Task An_unreachable_server_names_the_resource_and_where_it_points()
    {
        await using var resource = MySqlTransactionResource.Create("orders", $"Server=127.0.0.1;Port={FreePort.Next()};User ID=root;Database=shop;Connection Timeout=2");

        var error = await Assert.ThrowsAsync<MySqlParticipantUnreachableException>(() => resource.ValidateAsync(CancellationToken.None).AsTask());

        Assert.Equal("orders", error.ResourceName);
        Assert.Contains("UseMySql(\"orders\"", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<MySqlException>(error.InnerException);
    }

    [Fact]
    public async Task A_myisam_table_in_the_database_fails_the_check_with_the_fix()
    {
        await using var bank = await CrossEngineBank.CreateAsync("xamyisam");
        await CrossEngineBank.MariaDbAsync(bank.Orders, "CREATE TABLE audit_log (id INT PRIMARY KEY) ENGINE=MyISAM");
        await using var resource = MySqlTransactionResource.Create("orders", bank.Orders);

        var error = await Assert.ThrowsAsync<XaTransactionsUnavailableException>(() => resource.ValidateAsync(CancellationToken.None).AsTask());

        Assert.Contains("`audit_log` (MyISAM)", error.Message, StringComparison.Ordinal);
        Assert.Contains("ENGINE=InnoDB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_whose_default_engine_is_not_innodb_fails_the_check()
    {
        await using var server = await PrivateMariaDb.StartNewAsync("xaengine");
        await server.ExecuteAsync("SET GLOBAL default_storage_engine = 'MyISAM'");
        await using var resource = MySqlTransactionResource.Create("orders", server.ConnectionString);

        var error = await Assert.ThrowsAsync<XaTransactionsUnavailableException>(() => resource.ValidateAsync(CancellationToken.None).AsTask());

        Assert.Contains("default_storage_engine=InnoDB", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.4.30-MariaDB", true)]
    [InlineData("10.5.1-MariaDB-log", true)]
    [InlineData("10.5.2-MariaDB", false)]
    [InlineData("10.11.19-MariaDB-0+deb12u1-log", false)]
    [InlineData("5.7.6", true)]
    [InlineData("8.0.36", false)]
    [InlineData("garbage", true)]
    public void Servers_that_drop_prepared_branches_on_disconnect_are_refused(string version, bool refused)
    {
        var check = () => MySqlStartupChecks.CheckVersion("orders", version);

        if (refused)
        {
            Assert.Contains("orders", Assert.Throws<XaTransactionsUnavailableException>(check).Message, StringComparison.Ordinal);
        }
        else
        {
            check();
        }
    }

    [Fact]
    public async Task The_host_does_not_start_when_a_mariadb_resource_is_unreachable()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddTwoPhaseCommit(options =>
        {
            options.Prefix = "dpxa";
            options.NodeId = "startup";
            options.DecisionLogPath = Path.Combine(Path.GetTempPath(), $"dpxa-{Guid.NewGuid():N}.log");
        }).UseMySql("orders", $"Server=127.0.0.1;Port={FreePort.Next()};User ID=root;Database=shop;Connection Timeout=2");
        await using var provider = services.BuildServiceProvider();

        var resource = Assert.IsType<MySqlTransactionResource>(Assert.Single(provider.GetServices<ITransactionResource>()));

        await Assert.ThrowsAsync<MySqlParticipantUnreachableException>(() => resource.ValidateAsync(CancellationToken.None).AsTask());
    }
}
