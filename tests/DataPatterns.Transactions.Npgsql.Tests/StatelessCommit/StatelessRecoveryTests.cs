namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// Stateless recovery on real servers: two instances recovering the same transactions at once settle each one the
/// same way; markers go once no branch can need them, fences only after their retention.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class StatelessRecoveryTests : IAsyncLifetime
{
    private StatelessBank _bank = null!;

    public async Task InitializeAsync() => _bank = await StatelessBank.CreateAsync("txstatelessrec");

    public async Task DisposeAsync() => await _bank.DisposeAsync();

    [Fact]
    public async Task Two_instances_recovering_at_once_settle_every_transaction_both_or_neither()
    {
        // Three transactions left with both branches prepared (commit), three with only payments prepared (abort).
        // Each debits an account of its own: a prepared branch keeps its row locked.
        for (var i = 0; i < 6; i++)
        {
            await _bank.LeaveAsync($"r-{i}", i % 2 == 0 ? TransactionProtocolStep.AllPrepared : TransactionProtocolStep.FirstPrepared, account: 100 + i);
        }

        var first = _bank.NewInstance();
        var second = _bank.NewInstance();
        await Task.WhenAll(first.RecoverAsync(CancellationToken.None).AsTask(), second.RecoverAsync(CancellationToken.None).AsTask());
        await first.RecoverAsync(CancellationToken.None); // a branch one of them found busy is finished by the next pass

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(i % 2 == 0 ? 10 : 0, await _bank.OrderAsync($"r-{i}"));
        }

        Assert.Equal(6000 - 30, await _bank.OtherAccountsAsync());
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
        Assert.Equal(3, await _bank.Bank.MarkersAsync(_bank.Bank.Orders, fenced: true));
    }

    [Fact]
    public async Task Markers_of_finished_transactions_are_deleted_and_fences_only_after_their_retention()
    {
        var coordinator = _bank.NewInstance();
        await using (var committed = coordinator.Begin())
        {
            await _bank.TransferAsync(committed, "m-1");
            await committed.CommitAsync();
        }

        var aborted = coordinator.Begin();
        await _bank.TransferAsync(aborted, "m-2", branch => new StatelessFaultParticipant(branch, StatelessFault.FailsBeforeSending));
        await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => aborted.CommitAsync().AsTask());

        // Young markers stay: a resolver may be looking at them.
        Assert.Equal(0, (await coordinator.RecoverAsync(CancellationToken.None)).Forgotten);
        await _bank.AgeMarkersAsync(TimeSpan.FromHours(1));
        var result = await coordinator.RecoverAsync(CancellationToken.None);

        Assert.Equal(2, result.Forgotten);
        Assert.Equal(0, await _bank.Bank.MarkersAsync(_bank.Bank.Payments, fenced: false));
        Assert.Equal(0, await _bank.Bank.MarkersAsync(_bank.Bank.Orders, fenced: false));
        Assert.Equal(1, await _bank.Bank.MarkersAsync(_bank.Bank.Orders, fenced: true));

        await _bank.AgeMarkersAsync(TimeSpan.FromDays(2), fenced: true);
        Assert.Equal(1, (await coordinator.RecoverAsync(CancellationToken.None)).Forgotten);
        Assert.Equal(0, await _bank.Bank.MarkersAsync(_bank.Bank.Orders, fenced: true));
    }

    [Fact]
    public async Task A_committed_marker_stays_while_a_peer_branch_is_still_prepared()
    {
        var transaction = await _bank.LeaveAsync("m-3", TransactionProtocolStep.AllPrepared);
        var ids = transaction.GlobalIds;
        await _bank.Payments.CommitPreparedAsync(ids[0], CancellationToken.None); // phase 2 reached payments only
        await _bank.AgeMarkersAsync(TimeSpan.FromHours(3));

        // A recovery that must not touch the young orders branch still cleans up: payments' marker is what would
        // tell a later recovery that orders must commit, so it is kept.
        var patient = _bank.NewInstance(o => o.RecoveryGracePeriod = TimeSpan.FromHours(1));
        Assert.Equal(0, (await patient.RecoverAsync(CancellationToken.None)).Forgotten);
        Assert.Equal(1, await _bank.Bank.MarkersAsync(_bank.Bank.Payments, fenced: false));

        // Once orders is committed, payments' old marker can go; orders' own, just written, waits for its age.
        var finishing = await _bank.NewInstance().RecoverAsync(CancellationToken.None);
        Assert.Equal((1, 1), (finishing.Committed, finishing.Forgotten));
        Assert.Equal(10, await _bank.OrderAsync("m-3"));
        await _bank.AgeMarkersAsync(TimeSpan.FromHours(3));
        Assert.Equal(1, (await patient.RecoverAsync(CancellationToken.None)).Forgotten);
        Assert.Equal(0, await _bank.Bank.MarkersAsync(_bank.Bank.Orders, fenced: false));
    }
}
