using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>A participant whose server cannot be reached at start is named, with where it points and what to check.</summary>
public sealed class UnreachableParticipantTests
{
    [Fact]
    public async Task A_participant_at_a_closed_port_fails_the_start_check_naming_the_resource_host_port_and_what_to_check()
    {
        var port = FreePort.Next(); // nothing listens there
        await using var orders = NpgsqlTransactionResource.Create(
            "orders", $"Host=127.0.0.1;Port={port};Username=postgres;Database=shop_orders;Timeout=3;Enlist=false");

        var error = await Assert.ThrowsAsync<ParticipantUnreachableException>(() => orders.ValidateAsync(CancellationToken.None).AsTask());

        Assert.Equal("orders", error.ResourceName);
        Assert.Equal("127.0.0.1", error.Host);
        Assert.Equal(port, error.Port);
        Assert.Equal("shop_orders", error.Database);
        Assert.Contains($"Resource 'orders': could not connect to PostgreSQL at 127.0.0.1:{port}, database 'shop_orders'", error.Message, StringComparison.Ordinal);
        Assert.Contains("UseNpgsql(\"orders\"", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
    }

    [Fact]
    public async Task A_participant_whose_database_does_not_exist_is_named_with_its_database()
    {
        var settings = new NpgsqlConnectionStringBuilder(TestServers.Primary.ConnectionString)
        {
            Database = "datapatterns_no_such_database",
            Enlist = false,
        };
        await using var payments = NpgsqlTransactionResource.Create("payments", settings.ConnectionString);

        var error = await Assert.ThrowsAsync<ParticipantUnreachableException>(() => payments.ValidateAsync(CancellationToken.None).AsTask());

        Assert.Equal("payments", error.ResourceName);
        Assert.Equal("datapatterns_no_such_database", error.Database);
        Assert.Contains("database 'datapatterns_no_such_database'", error.Message, StringComparison.Ordinal);
    }
}
