using System.Data.Common;
using System.Diagnostics;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>Active-standby: the primary is killed, the standby promoted, and writes go on through the same router.</summary>
public sealed class FailoverTests
{
    [Fact]
    public async Task After_the_primary_is_killed_and_the_standby_promoted_writes_succeed_again_within_the_probe_interval()
    {
        await using var primary = await PrivatePostgres.StartNewAsync("routing-failover-primary");
        await using var standby = await primary.StartReplicaAsync("routing-failover-standby");
        var options = Sql.Options(primary.ConnectionString, standby.ConnectionString);
        options.ProbeInterval = TimeSpan.FromSeconds(2);
        await using var router = new ReadWriteRouter("failover", options);

        await using (var write = await router.Primary.OpenConnectionAsync())
        {
            await Sql.ScalarAsync(write, "CREATE TABLE payments (id int PRIMARY KEY)");
            Assert.Equal(primary.Port, await Sql.ServerPortAsync(write));
        }

        // In-flight work on the primary fails with the client's error when the primary disappears.
        await using (var inFlight = await router.Primary.OpenConnectionAsync())
        {
            var query = Sql.ScalarAsync(inFlight, "SELECT pg_sleep(30)");
            await Task.Delay(200);
            await primary.KillAsync();
            var error = await Assert.ThrowsAnyAsync<DbException>(() => query);
            Assert.IsAssignableFrom<NpgsqlException>(error);
        }

        // Until a standby is promoted there is no primary, and the router says so.
        var none = await Assert.ThrowsAsync<NoPrimaryAvailableException>(async () => await router.Primary.OpenConnectionAsync());
        Assert.Contains("'failover'", none.Message, StringComparison.Ordinal);

        await standby.PromoteAsync();
        var clock = Stopwatch.StartNew();
        await using (var write = await router.Primary.OpenConnectionAsync())
        {
            await Sql.ScalarAsync(write, "INSERT INTO payments VALUES (1)");
            Assert.Equal(standby.Port, await Sql.ServerPortAsync(write));
        }

        clock.Stop();
        Assert.True(clock.Elapsed < options.ProbeInterval, $"the first write after promotion took {clock.ElapsedMilliseconds} ms, more than the {options.ProbeInterval.TotalMilliseconds} ms probe interval");
        var nodes = router.GetNodes();
        Assert.Equal(NodeRole.Primary, nodes.Single(n => n.Name == "replica").Role);
        Assert.False(nodes.Single(n => n.Name == "primary").IsHealthy);
    }
}
