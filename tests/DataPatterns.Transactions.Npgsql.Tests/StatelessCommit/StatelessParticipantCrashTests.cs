using DataPatterns.Testing;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// Stateless commit when a participant's server is killed (SIGKILL of its postmaster): a prepared branch survives in
/// the server's WAL, an unprepared one dies with it. Recovery never aborts because a participant cannot be asked; it
/// waits, and settles both-or-neither once the server is back.
/// </summary>
public sealed class StatelessParticipantCrashTests : IAsyncLifetime
{
    private PrivatePostgres _ordersServer = null!;
    private StatelessBank _bank = null!;

    public async Task InitializeAsync()
    {
        _ordersServer = await PrivatePostgres.StartNewAsync("tx-stateless-orders");
        _bank = await StatelessBank.CreateAsync("txstatelesskill", _ordersServer.Server);
    }

    public async Task DisposeAsync()
    {
        await _bank.DisposeAsync();
        await _ordersServer.DisposeAsync();
    }

    [Fact]
    public async Task A_participant_killed_with_its_branch_prepared_is_committed_once_it_is_back()
    {
        await _bank.LeaveAsync("k-1", TransactionProtocolStep.AllPrepared);
        await _ordersServer.KillAsync();
        _bank.Orders.DataSource.Clear(); // its pooled sessions may sit on backends that outlive the postmaster a moment

        var recovering = _bank.NewInstance();
        var whileDown = await recovering.RecoverAsync(CancellationToken.None);
        Assert.Equal(["orders"], whileDown.UnreachableResources);
        Assert.Equal((0, 0), (whileDown.Committed, whileDown.RolledBack));
        Assert.Equal(1000, await _bank.Bank.BalanceAsync()); // payments still prepared, not rolled back on a guess

        await _ordersServer.StartAfterKillAsync();
        var afterRestart = await recovering.RecoverAsync(CancellationToken.None);

        Assert.Equal(2, afterRestart.Committed);
        Assert.Equal(990, await _bank.Bank.BalanceAsync());
        Assert.Equal(10, await _bank.OrderAsync("k-1"));
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_participant_killed_before_its_branch_prepared_is_fenced_once_it_is_back_and_both_roll_back()
    {
        await _bank.LeaveAsync("k-2", TransactionProtocolStep.FirstPrepared);
        await _ordersServer.KillAsync(); // the open orders branch dies with its server
        _bank.Orders.DataSource.Clear();

        var recovering = _bank.NewInstance();
        Assert.Equal(0, (await recovering.RecoverAsync(CancellationToken.None)).RolledBack);
        Assert.Equal(1L, await BankDatabases.ScalarAsync(_bank.Bank.Payments, $"SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '{_bank.Bank.StatelessGlobalIdPrefix}')")); // payments' branch waits

        await _ordersServer.StartAfterKillAsync();
        var afterRestart = await recovering.RecoverAsync(CancellationToken.None);

        Assert.Equal(1, afterRestart.RolledBack);
        Assert.Equal(1000, await _bank.Bank.BalanceAsync());
        Assert.Equal(0, await _bank.OrderAsync("k-2"));
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
    }
}
