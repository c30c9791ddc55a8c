using DataPatterns.Cqrs.TestHost;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class ReadModelOutageTests
{
    [Fact]
    public async Task A_read_model_database_that_goes_away_mid_run_loses_and_doubles_nothing_and_the_cause_is_visible()
    {
        await using var events = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_outage");
        await using var readModelServer = await PrivatePostgres.StartNewAsync("cqrs-readmodel");
        var readModel = new NpgsqlConnectionStringBuilder(readModelServer.ConnectionString) { Timeout = 3 }.ConnectionString;
        var ledger = new Ledger(events.ConnectionString);
        await ledger.CreateWriteModelAsync();
        var outbox = ledger.Outbox;

        await using (var runner = await new RunnerHost(events.ConnectionString, [new AccountsProjection()], o => o.BatchSize = 10, s => s.ReadModelConnectionString = readModel).StartAsync())
        {
            var writing = Task.Run(async () =>
            {
                for (var i = 0; i < 300; i++)
                {
                    await ledger.WriteAsync([new Deposit("acct-" + (i % 5), i)], rollback: i % 11 == 0, pauseMs: 2, outbox);
                }
            });

            await ReadModel.WaitUntilAsync(() => Task.FromResult(runner.Monitor.Find("accounts")?.Checkpoint.Sequence > 20), TimeSpan.FromSeconds(30), "some batches are applied");
            await readModelServer.StopAsync(immediate: true);
            await ReadModel.WaitUntilAsync(() => Task.FromResult(runner.Monitor.Find("accounts")?.LastError is { Length: > 0 }), TimeSpan.FromSeconds(30), "the failure is reported");
            var cause = runner.Monitor.Find("accounts")!.LastError!;
            await Task.Delay(300);
            await readModelServer.StartAsync();
            await writing;
            await ReadModel.WaitForCatchUpAsync(events.ConnectionString, readModel, "accounts", TimeSpan.FromSeconds(40));
            Assert.Contains("Exception", cause, StringComparison.Ordinal);
            Assert.Empty(await runner.DeadLetters.GetAsync("accounts", CancellationToken.None));
        }

        var expected = ledger.Committed();
        Assert.Equal(expected.OrderBy(p => p.Key), (await ReadModel.ReadAsync(readModel)).OrderBy(p => p.Key));
    }
}
