using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataPatterns.Transactions.Tests.Diagnostics;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Commits_aborts_and_recovery_actions_are_counted_with_their_tags()
    {
        using var meterFactory = new TestMeterFactory();
        using var commits = new MetricCollector<long>(meterFactory, "DataPatterns.Transactions", "datapatterns.transactions.commits");
        using var aborts = new MetricCollector<long>(meterFactory, "DataPatterns.Transactions", "datapatterns.transactions.aborts");
        using var recovery = new MetricCollector<long>(meterFactory, "DataPatterns.Transactions", "datapatterns.transactions.recovery.actions");
        var bank = new Bank();
        await using var coordinator = new TwoPhaseCommitCoordinator(bank.Options(), bank.Log, [bank.Payments, bank.Orders], bank.Time, meterFactory: meterFactory);

        var committed = coordinator.Begin();
        bank.Payments.Begin(committed, "a", -1);
        bank.Orders.Begin(committed, "b", 1);
        await committed.CommitAsync();

        var refused = coordinator.Begin();
        bank.Payments.Begin(refused, "a", -1);
        bank.Orders.Begin(refused, "c", 1).Vote = PrepareVote.No;
        await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => refused.CommitAsync().AsTask());

        var crashed = bank.Coordinator();
        var orphan = crashed.Begin();
        bank.Payments.Begin(orphan, "a", -1);
        bank.Orders.Begin(orphan, "d", 1);
        await Crash.CommitUntilAsync(crashed, orphan, TransactionProtocolStep.AllPrepared);
        await coordinator.RecoverAsync(CancellationToken.None);

        var commit = Assert.Single(commits.GetMeasurementSnapshot());
        Assert.Equal("two_phase", commit.Tags["datapatterns.transactions.mode"]);
        Assert.Equal("participant", Assert.Single(aborts.GetMeasurementSnapshot()).Tags["datapatterns.transactions.reason"]);
        Assert.Equal(2, recovery.GetMeasurementSnapshot().Count(m => (string?)m.Tags["datapatterns.transactions.action"] == "rollback"));
    }

    /// <summary>Meters scoped to this test, so parallel tests' measurements never mix in.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
