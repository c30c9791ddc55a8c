using System.Globalization;
using DataPatterns.Cqrs.TestHost;
using DataPatterns.Testing;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class CrashTests
{
    [Fact]
    public async Task A_projector_killed_mid_batch_and_restarted_leaves_the_read_model_exact()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_crash");
        var ledger = new Ledger(database.ConnectionString);
        await ledger.CreateWriteModelAsync();
        var outbox = ledger.Outbox;
        var random = new Random(42);
        for (var i = 0; i < 60; i++)
        {
            var deposits = Enumerable.Range(0, 5).Select(_ => new Deposit($"acct-{random.Next(6)}", random.Next(-20, 80))).ToArray();
            await ledger.WriteAsync(deposits, rollback: i % 7 == 3, pauseMs: 0, outbox);
        }

        // Batch 4 of 25 events: its read-model writes are sent inside the open transaction when the process dies.
        await using (var child = ChildProcess.StartDotnet("DataPatterns.Cqrs.TestHost.dll", [database.ConnectionString, "25", "4"]))
        {
            await child.WaitForLineAsync("MIDBATCH 4", TimeSpan.FromSeconds(60));
            await child.KillAsync();
        }

        // Three batches committed; batch 4 left nothing: the read model is the fold of exactly the events up to the checkpoint.
        var afterKill = await ReadModel.ReadAsync(database.ConnectionString);
        var foldToCheckpoint = await ReadModel.FoldUpToCheckpointAsync(database.ConnectionString, "accounts");
        Assert.Equal(foldToCheckpoint.OrderBy(p => p.Key), afterKill.OrderBy(p => p.Key));
        Assert.Equal(75L, await ReadModel.CountUpToCheckpointAsync(database.ConnectionString, "accounts")); // three full batches of 25 events

        // More writes, then a new instance takes over once the dead one's lease expires.
        for (var i = 0; i < 20; i++)
        {
            await ledger.WriteAsync([new Deposit("acct-" + (i % 6).ToString(CultureInfo.InvariantCulture), i)], rollback: false, pauseMs: 0, outbox);
        }

        await using (var runner = await new RunnerHost(database.ConnectionString, [new AccountsProjection()]).StartAsync())
        {
            await ReadModel.WaitForCatchUpAsync(database.ConnectionString, database.ConnectionString, "accounts", TimeSpan.FromSeconds(30));
        }

        var expected = ledger.Committed();
        var actual = await ReadModel.ReadAsync(database.ConnectionString);
        Assert.Equal(expected.OrderBy(p => p.Key), actual.OrderBy(p => p.Key));
    }
}
