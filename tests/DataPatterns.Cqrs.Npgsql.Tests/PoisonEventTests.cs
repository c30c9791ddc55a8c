using System.Diagnostics.Metrics;
using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Cqrs.TestHost;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class PoisonEventTests
{
    [Fact]
    public async Task A_poison_event_is_parked_reported_in_metrics_and_passed_only_as_configured()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_poison");
        var ledger = new Ledger(database.ConnectionString);
        await ledger.CreateWriteModelAsync();
        var outbox = ledger.Outbox;
        for (var i = 0; i < 30; i++)
        {
            await ledger.WriteAsync([new Deposit("acct-" + (i % 3), 10)], rollback: false, pauseMs: 0, outbox);
        }

        await using (var connection = await ledger.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await outbox.AppendAsync(transaction, new OutboxEvent("acct-0", AccountsProjection.Deposited, AccountsProjection.Poison));
            await transaction.CommitAsync();
        }

        for (var i = 0; i < 30; i++)
        {
            await ledger.WriteAsync([new Deposit("acct-" + (i % 3), 1)], rollback: false, pauseMs: 0, outbox);
        }

        long parkedMetric = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "DataPatterns.Cqrs" && instrument.Name == "datapatterns.cqrs.events.dead_lettered")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref parkedMetric, value));
        listener.Start();

        // Under ParkAndStop the projection stops before the poison event.
        await using (var stopping = await new RunnerHost(database.ConnectionString, [new AccountsProjection()], o =>
        {
            o.MaxAttempts = 2;
            o.PoisonEventPolicy = PoisonEventPolicy.ParkAndStop;
        }).StartAsync())
        {
            await ReadModel.WaitUntilAsync(() => Task.FromResult(stopping.Monitor.Find("accounts")?.Role == ProjectionRole.Stopped), TimeSpan.FromSeconds(30), "the projection stops");
            var stopped = stopping.Monitor.Find("accounts")!;
            Assert.Contains("poison", stopped.LastError, StringComparison.Ordinal);
            Assert.Equal(30L, (await ReadModel.ReadAsync(database.ConnectionString)).Values.Sum(v => v.Events));
        }

        // Under ParkAndContinue (a restart with the new policy) it is parked again and the rest is applied.
        await using (var continuing = await new RunnerHost(database.ConnectionString, [new AccountsProjection()], o =>
        {
            o.MaxAttempts = 2;
            o.PoisonEventPolicy = PoisonEventPolicy.ParkAndContinue;
        }).StartAsync())
        {
            await ReadModel.WaitForCatchUpAsync(database.ConnectionString, database.ConnectionString, "accounts", TimeSpan.FromSeconds(30));
            var letters = await continuing.DeadLetters.GetAsync("accounts", CancellationToken.None);
            var letter = Assert.Single(letters);
            Assert.Equal(AccountsProjection.Poison, letter.Event.Payload);
            Assert.Contains("InvalidDataException", letter.Error, StringComparison.Ordinal);
            Assert.Equal(4, letter.Attempts); // two attempts under each policy
            Assert.Equal(1, continuing.Monitor.Find("accounts")!.DeadLettered);
        }

        listener.RecordObservableInstruments();
        Assert.Equal(2, Interlocked.Read(ref parkedMetric));
        var expected = ledger.Committed();
        Assert.Equal(expected.OrderBy(p => p.Key), (await ReadModel.ReadAsync(database.ConnectionString)).OrderBy(p => p.Key));
    }
}
