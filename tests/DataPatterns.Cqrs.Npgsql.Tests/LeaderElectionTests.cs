using DataPatterns.Cqrs.TestHost;
using DataPatterns.Testing;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class LeaderElectionTests
{
    [Fact]
    public async Task Of_two_instances_one_projects_and_the_other_takes_over_when_it_stops()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_leader");
        var ledger = new Ledger(database.ConnectionString);
        await ledger.CreateWriteModelAsync();
        var outbox = ledger.Outbox;

        var first = await new RunnerHost(database.ConnectionString, [new AccountsProjection()]).StartAsync();
        await using var second = await new RunnerHost(database.ConnectionString, [new AccountsProjection()]).StartAsync();
        try
        {
            for (var i = 0; i < 60; i++)
            {
                await ledger.WriteAsync([new Deposit("acct-" + (i % 4), i)], rollback: i % 5 == 0, pauseMs: 0, outbox);
            }

            await ReadModel.WaitForCatchUpAsync(database.ConnectionString, database.ConnectionString, "accounts", TimeSpan.FromSeconds(30));
            var roles = new[] { first.Monitor.Find("accounts")!.Role, second.Monitor.Find("accounts")!.Role };
            Assert.Equal([ProjectionRole.Standby, ProjectionRole.Leader], roles.Order());
        }
        finally
        {
            await first.DisposeAsync(); // gives the lease up on shutdown
        }

        for (var i = 0; i < 40; i++)
        {
            await ledger.WriteAsync([new Deposit("acct-" + (i % 4), 1000 + i)], rollback: false, pauseMs: 0, outbox);
        }

        await ReadModel.WaitForCatchUpAsync(database.ConnectionString, database.ConnectionString, "accounts", TimeSpan.FromSeconds(30));
        Assert.Equal(ProjectionRole.Leader, second.Monitor.Find("accounts")!.Role);
        Assert.Equal(ledger.Committed().OrderBy(p => p.Key), (await ReadModel.ReadAsync(database.ConnectionString)).OrderBy(p => p.Key));
    }
}
