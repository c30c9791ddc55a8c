using DataPatterns.Cqrs.TestHost;
using DataPatterns.Testing;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class RebuildTests
{
    [Fact]
    public async Task A_rebuild_while_writes_continue_ends_with_the_same_read_model_as_the_live_projection()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_rebuild");
        var ledger = new Ledger(database.ConnectionString);
        await ledger.CreateWriteModelAsync();
        var outbox = ledger.Outbox;
        var random = new Random(3);
        for (var i = 0; i < 150; i++)
        {
            await ledger.WriteAsync([new Deposit($"acct-{random.Next(8)}", random.Next(-10, 50)), new Deposit($"acct-{random.Next(8)}", 1)], rollback: i % 9 == 0, pauseMs: 0, outbox);
        }

        // "accounts" is rebuilt; "mirror" is the same projection, never rebuilt: the live reference.
        await using (var runner = await new RunnerHost(database.ConnectionString, [new AccountsProjection("accounts"), new AccountsProjection("mirror")], o => o.BatchSize = 20).StartAsync())
        {
            await ReadModel.WaitForCatchUpAsync(database.ConnectionString, database.ConnectionString, "accounts", TimeSpan.FromSeconds(30));
            using var stopWriting = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                var r = new Random(w);
                while (!stopWriting.IsCancellationRequested)
                {
                    await ledger.WriteAsync([new Deposit($"acct-{r.Next(8)}", r.Next(-10, 50))], rollback: r.Next(6) == 0, pauseMs: r.Next(3), outbox);
                }
            })).ToArray();

            var generation = await runner.Rebuilder.RebuildAsync("accounts");
            Assert.Equal(2, generation);
            await ReadModel.WaitUntilAsync(() => Task.FromResult(runner.Monitor.Find("accounts") is { LiveGeneration: 2, RebuildingGeneration: null }), TimeSpan.FromSeconds(40), "generation 2 is live");
            var liveWhileRebuilding = await ReadModel.ReadAsync(database.ConnectionString);
            Assert.NotEmpty(liveWhileRebuilding);

            await Task.Delay(200); // writes keep going after the switch
            await stopWriting.CancelAsync();
            await Task.WhenAll(writers);
            await ReadModel.WaitForCatchUpAsync(database.ConnectionString, database.ConnectionString, "accounts", TimeSpan.FromSeconds(30), noRebuild: true);
            await ReadModel.WaitForCatchUpAsync(database.ConnectionString, database.ConnectionString, "mirror", TimeSpan.FromSeconds(30), noRebuild: true);
        }

        var rebuilt = await ReadModel.ReadAsync(database.ConnectionString, "accounts.accounts");
        var live = await ReadModel.ReadAsync(database.ConnectionString, "mirror.accounts");
        Assert.Equal(live.OrderBy(p => p.Key), rebuilt.OrderBy(p => p.Key));
        Assert.Equal(ledger.Committed().OrderBy(p => p.Key), rebuilt.OrderBy(p => p.Key));
        Assert.Equal(2L, await ScalarAsync(database, "SELECT live_generation::bigint FROM cqrs.projections WHERE name = 'accounts'"));
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'accounts_g1'"));
    }

    private static async Task<long> ScalarAsync(TemporaryDatabase database, string sql)
    {
        await using var connection = new global::Npgsql.NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new global::Npgsql.NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
