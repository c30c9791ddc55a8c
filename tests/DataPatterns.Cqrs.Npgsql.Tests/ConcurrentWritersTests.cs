using DataPatterns.Cqrs.TestHost;
using DataPatterns.Testing;
using FsCheck;
using FsCheck.Fluent;

namespace DataPatterns.Cqrs.Npgsql.Tests;

/// <summary>One writer's history: transactions of deposits, some rolled back, with pauses inside.</summary>
internal sealed record WriterTransaction(Deposit[] Deposits, bool Rollback, int PauseMs);

public sealed class ConcurrentWritersTests
{
    private static readonly Gen<WriterTransaction> Transaction =
        from count in Gen.Choose(1, 5)
        from deposits in Gen.ArrayOf(
            from account in Gen.Choose(0, 15)
            from amount in Gen.Choose(-50, 100)
            select new Deposit($"acct-{account}", amount),
            count)
        from rollback in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from pause in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Choose(1, 5)), (1, Gen.Choose(10, 30)))
        select new WriterTransaction([.. deposits.OrderBy(d => d.Account, StringComparer.Ordinal)], rollback, pause); // one lock order: no deadlocks between writers

    private static readonly Gen<WriterTransaction[][]> Histories = Gen.ArrayOf(Gen.ArrayOf(Transaction, 10), 16);

    [Theory]
    [InlineData(20261125UL)]
    [InlineData(7UL)]
    public async Task Sixteen_writers_with_rollbacks_and_a_running_projector_end_with_the_fold_of_exactly_the_committed_events(ulong seed)
    {
        var history = Histories.Sample(10, new Rnd(seed), 1)[0];
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_writers");
        var ledger = new Ledger(database.ConnectionString);
        await ledger.CreateWriteModelAsync();
        var outbox = ledger.Outbox;

        await using (var runner = await new RunnerHost(database.ConnectionString, [new AccountsProjection()], o => o.BatchSize = 25).StartAsync())
        {
            await Task.WhenAll(history.Select(writer => Task.Run(async () =>
            {
                foreach (var transaction in writer)
                {
                    await ledger.WriteAsync(transaction.Deposits, transaction.Rollback, transaction.PauseMs, outbox);
                }
            })));

            await ReadModel.WaitForCatchUpAsync(database.ConnectionString, database.ConnectionString, "accounts", TimeSpan.FromSeconds(30));
            await ReadModel.WaitUntilAsync(() => Task.FromResult(runner.Monitor.Find("accounts") is { EventsBehind: 0, LagMeasuredAt: not null } s && s.Checkpoint != default), TimeSpan.FromSeconds(10), "the monitor reports no lag");
        }

        var expected = ledger.Committed();
        var actual = await ReadModel.ReadAsync(database.ConnectionString);
        Assert.Equal(expected.OrderBy(p => p.Key), actual.OrderBy(p => p.Key));
        Assert.Equal(await ReadModel.WriteModelAsync(database.ConnectionString), actual.ToDictionary(p => p.Key, p => p.Value.Balance));
        Assert.Contains(history.SelectMany(w => w), t => t.Rollback);
    }
}
