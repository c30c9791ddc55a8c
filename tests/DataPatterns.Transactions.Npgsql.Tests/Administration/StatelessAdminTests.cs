using Microsoft.Extensions.Logging;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// The operator's view of stateless commit on real servers: in-doubt transactions listed with what recovery will do,
/// resolved by hand with an audit line, and refused where the participants already fix the other outcome.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class StatelessAdminTests : IAsyncLifetime
{
    private StatelessBank _bank = null!;

    public async Task InitializeAsync() => _bank = await StatelessBank.CreateAsync("txstatelessadmin");

    public async Task DisposeAsync() => await _bank.DisposeAsync();

    [Fact]
    public async Task In_doubt_transactions_are_listed_with_their_fate_and_resolved_by_hand_only_to_that_fate()
    {
        var committed = (await _bank.LeaveAsync("a-1", TransactionProtocolStep.AllPrepared, account: 2)).Id;
        var undecided = (await _bank.LeaveAsync("a-2", TransactionProtocolStep.FirstPrepared, account: 3)).Id;
        var audit = new RecordingLogger<TransactionAdmin>();
        var admin = new TransactionAdmin(_bank.NewInstance(o => o.RecoveryGracePeriod = TimeSpan.FromHours(1)), TimeProvider.System, audit);

        var listed = await admin.ListInDoubtAsync(CancellationToken.None);

        Assert.Equal(2, listed.Count);
        var fates = listed.ToDictionary(t => t.TransactionId);
        Assert.Equal(InDoubtState.WillCommit, fates[committed].State);
        Assert.Equal(2, fates[committed].Prepared.Count);
        Assert.Equal(InDoubtState.WillRollBack, fates[undecided].State);
        Assert.Equal(["payments"], fates[undecided].Prepared.Select(p => p.ResourceName));
        Assert.All(listed, t => Assert.Equal(["payments", "orders"], t.Participants));
        Assert.All(listed, t => Assert.Equal("~", t.Node));

        await Assert.ThrowsAsync<InvalidOperationException>(() => admin.ResolveAsync(committed, ManualOutcome.RollBack, "test", CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => admin.ResolveAsync(undecided, ManualOutcome.Commit, "test", CancellationToken.None).AsTask());
        await admin.ResolveAsync(committed, ManualOutcome.Commit, "ticket OPS-1: settle before the grace period", CancellationToken.None);
        await admin.ResolveAsync(undecided, ManualOutcome.RollBack, "ticket OPS-2", CancellationToken.None);

        Assert.Equal(10, await _bank.OrderAsync("a-1"));
        Assert.Equal(0, await _bank.OrderAsync("a-2"));
        Assert.Equal(2000 - 10, await _bank.OtherAccountsAsync());
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
        Assert.Empty(await admin.ListInDoubtAsync(CancellationToken.None));
        Assert.Contains(audit.Lines, l => l.EventId == 3025 && l.Level == LogLevel.Warning && l.Message.Contains("OPS-1", StringComparison.Ordinal) && l.Message.Contains(committed.ToString(), StringComparison.Ordinal));
        Assert.Contains(audit.Lines, l => l.EventId == 3025 && l.Message.Contains("rolled back", StringComparison.Ordinal) && l.Message.Contains("OPS-2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_transaction_that_is_not_in_doubt_or_a_missing_reason_is_refused()
    {
        var admin = new TransactionAdmin(_bank.NewInstance());

        await Assert.ThrowsAsync<KeyNotFoundException>(() => admin.ResolveAsync(Guid.NewGuid(), ManualOutcome.Commit, "test", CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => admin.ResolveAsync(Guid.NewGuid(), ManualOutcome.Commit, " ", CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => admin.TakeOverNodeAsync("other", CancellationToken.None).AsTask());
    }
}
