using DataPatterns.Testing;
using DataPatterns.Transactions;
using DataPatterns.Transactions.Npgsql;

namespace DataPatterns.EntityFrameworkCore.Tests.TwoPhaseCommit;

/// <summary>
/// A child process runs two enlisted DbContexts and is killed (SIGKILL) after both branches prepared, before or after the
/// decision; another coordinator here recovers: both sides committed or both rolled back, nothing left prepared.
/// </summary>
public sealed class DbContextCrashTests : IAsyncLifetime
{
    private EfBank _bank = null!;

    public async Task InitializeAsync() => _bank = await EfBank.CreateAsync("eftxcrash");

    public async Task DisposeAsync() => await _bank.DisposeAsync();

    [Theory]
    [InlineData("Prepared", false)]
    [InlineData("Decided", true)]
    public async Task The_coordinators_process_killed_after_prepare_is_settled_by_recovery(string step, bool committed)
    {
        var orderId = "crash-" + step;
        var node = _bank.Node + "c";
        var logPath = _bank.LogPath("crash-" + step);
        await using (var child = ChildProcess.StartDotnet(
            "DataPatterns.EntityFrameworkCore.TestHost.dll",
            [step, _bank.PaymentsDatabase.ConnectionString, _bank.OrdersDatabase.ConnectionString, EfBank.Prefix, node, logPath, orderId]))
        {
            await child.WaitForLineAsync("STEP " + step, TimeSpan.FromSeconds(90));
            await child.KillAsync();
        }

        Assert.Equal(2, await PreparedAsync(node));

        await using (var payments = NpgsqlTransactionResource.Create("payments", _bank.PaymentsDatabase.ConnectionString))
        await using (var orders = NpgsqlTransactionResource.Create("orders", _bank.OrdersDatabase.ConnectionString))
        await using (var log = new FileDecisionLog(logPath))
        {
            var options = _bank.Options();
            options.NodeId = node;
            await using var coordinator = new TwoPhaseCommitCoordinator(options, log, [payments, orders]);
            var result = await coordinator.RecoverAsync(CancellationToken.None);
            Assert.Empty(result.UnreachableResources);
        }

        Assert.Equal(committed ? (990L, 10L) : (1000L, 0L), (await _bank.BalanceAsync(), await _bank.OrdersTotalAsync()));
        Assert.Equal(0, await PreparedAsync(node));
    }

    /// <summary>Prepared branches of the child's node on both servers (payments on the primary, orders on node2).</summary>
    private async Task<long> PreparedAsync(string node)
    {
        var sql = $"SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '{EfBank.Prefix}:{node}:')";
        return (long)(await EfBank.ScalarAsync(_bank.PaymentsDatabase.ConnectionString, sql))!
            + (long)(await EfBank.ScalarAsync(_bank.OrdersDatabase.ConnectionString, sql))!;
    }
}
