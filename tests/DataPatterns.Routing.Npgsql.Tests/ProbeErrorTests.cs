using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>Which probe errors clear a node's pool: a server gone away does; overload, a timeout or a query error do not.</summary>
public sealed class ProbeErrorTests
{
    public static TheoryData<string, bool> Errors => new()
    {
        { "broken stream", true },
        { "refused", true },
        { "57P01 admin_shutdown", true },
        { "57P02 crash_shutdown", true },
        { "53300 too_many_connections", false },
        { "57P03 cannot_connect_now", false },
        { "npgsql timeout", false },
        { "pool exhausted", false },
        { "42P01 undefined_table", false },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task Only_a_server_that_went_away_clears_the_pool(string error, bool clears)
    {
        // Never opened: Clear() needs no server, and the answer depends only on the error.
        await using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");
        Assert.Equal(clears, NpgsqlRoutingProbe.Instance.ClearBrokenConnections(dataSource, Make(error)));
    }

    [Fact]
    public void A_data_source_of_another_client_is_left_alone()
    {
        using var other = new OtherClientDataSource();
        Assert.False(NpgsqlRoutingProbe.Instance.ClearBrokenConnections(other, new IOException("gone")));
    }

    private static NpgsqlException Make(string error) => error switch
    {
        "broken stream" => new NpgsqlException("Exception while reading from stream", new EndOfStreamException()),
        "refused" => new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)),
        "npgsql timeout" => new NpgsqlException("Exception while reading from stream", new TimeoutException()),
        "pool exhausted" => new NpgsqlException("The connection pool has been exhausted, either raise 'Max Pool Size'"),
        _ => new PostgresException("server said no", "FATAL", "FATAL", error[..5]),
    };
}

/// <summary>A data source of some other database client.</summary>
internal sealed class OtherClientDataSource : DbDataSource
{
    public override string ConnectionString => "";

    protected override DbConnection CreateDbConnection() => throw new NotSupportedException();
}
