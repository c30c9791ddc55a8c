using DataPatterns.Testing;
using MySqlConnector;

namespace DataPatterns.Transactions.MySql.Tests;

public sealed class BadInputTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_blank_resource_name_is_refused(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => MySqlTransactionResource.Create(name, TestServers.MariaDbNode2.ConnectionString));

    [Fact]
    public void An_unreadable_connection_string_is_refused_with_its_shape()
    {
        var error = Assert.Throws<ArgumentException>(() => MySqlTransactionResource.Create("orders", "Server=127.0.0.1;Nonsense Key=1"));

        Assert.Contains("Server=host;Port=3306", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_source_that_auto_enlists_is_refused()
    {
        await using var dataSource = new MySqlDataSource(TestServers.MariaDbNode2.ConnectionString);

        var error = Assert.Throws<ArgumentException>(() => new MySqlTransactionResource("orders", dataSource));

        Assert.Contains("AutoEnlist=false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_forces_auto_enlist_off()
    {
        await using var resource = MySqlTransactionResource.Create("orders", TestServers.MariaDbNode2.ConnectionString + ";AutoEnlist=true");

        Assert.False(new MySqlConnectionStringBuilder(resource.DataSource.ConnectionString).AutoEnlist);
    }

    [Fact]
    public async Task A_branch_opened_for_ef_style_enlistment_is_refused_with_the_alternative()
    {
        await using var resource = MySqlTransactionResource.Create("orders", TestServers.MariaDbNode2.ConnectionString);

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => ((IDbTransactionResource)resource).OpenDbBranchAsync(System.Data.IsolationLevel.ReadCommitted, CancellationToken.None).AsTask());

        Assert.Contains("EnlistMySqlAsync", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_branch_prepared_without_being_started_is_refused()
    {
        await using var resource = MySqlTransactionResource.Create("orders", TestServers.MariaDbNode2.ConnectionString);
        await using var branch = await resource.OpenBranchAsync();

        var error = await Assert.ThrowsAsync<TransactionStateException>(() => branch.PrepareAsync("a:b:0190aabbccddeeff0011223344556677:0", CancellationToken.None).AsTask());

        Assert.Contains("StartAsync", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unsupported_isolation_level_is_refused() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
        {
            await using var resource = MySqlTransactionResource.Create("orders", TestServers.MariaDbNode2.ConnectionString);
            await resource.OpenBranchAsync(System.Data.IsolationLevel.Snapshot);
        });
}
