using DataPatterns.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>
/// A primary that has written in a second GTID domain: a one-number token cannot be exact, so the router refuses to serve
/// reads after a write from a replica and sends them to the primary, with no error, and the start-up check says why.
/// </summary>
public sealed class SeveralDomainsTests
{
    [Fact]
    public async Task Once_the_primary_has_two_gtid_domains_reads_after_a_write_go_to_the_primary_and_never_wait()
    {
        await using var primary = await PrivateMariaDb.StartNewAsync("rt-dom-pri");
        await using var replica = await primary.StartReplicaAsync("rt-dom-rep");
        await primary.ExecuteAsync("CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(20)); SET SESSION gtid_domain_id = 7; INSERT INTO orders VALUES (0, 'domain 7');");
        await Sql.CatchUpAsync(primary.ConnectionString, replica.ConnectionString);

        var options = Sql.Options(primary.ConnectionString, replica.ConnectionString);
        options.ReadYourWritesWait = TimeSpan.FromSeconds(30); // a wait that would be seen if the router waited
        options.MaxReplicaLag = null;
        await using var router = new ReadWriteRouter("domains", options);
        await Sql.EventuallyAsync(async () => await Sql.PortOfAsync(router.Replica) == replica.Port, TimeSpan.FromSeconds(10), "plain reads reaching the replica");

        var session = router.CreateSession();
        await using (var write = await session.OpenWriteConnectionAsync())
        {
            await Sql.ScalarAsync(write, "INSERT INTO orders VALUES (1, 'domain 0')");
        }

        Assert.Equal(MariaDbConsistencyTokens.PrimaryOnly, await session.GetTokenAsync());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using (var read = await session.OpenReadConnectionAsync())
        {
            Assert.Equal(primary.Port, await Sql.ServerPortAsync(read));
            Assert.Equal("domain 0", await Sql.ScalarAsync(read, "SELECT note FROM orders WHERE id = 1"));
        }

        Assert.True(clock.Elapsed < options.ReadYourWritesWait, "the refused token must not wait for a replica it can never trust");

        var logs = new FakeLogCollector();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        var check = new MySqlStartupCheck(
            "domains",
            new StaticOptionsMonitor<ReadWriteRouterOptions>(options),
            new StaticOptionsMonitor<MySqlRoutingOptions>(new MySqlRoutingOptions()),
            loggers.CreateLogger<MySqlStartupCheck>());
        await check.CheckAsync(default);
        var warning = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 4201);
        Assert.Contains("'primary'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("7-", warning.Message, StringComparison.Ordinal);
    }
}

/// <summary>An options monitor that always answers the same options (the check reads them by the router's name).</summary>
internal sealed class StaticOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
