using DataPatterns.Testing;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// A child process runs a transfer and is killed (SIGKILL) at each protocol step; a fresh coordinator here recovers.
/// Every time both databases committed or both rolled back, and nothing is left prepared.
/// </summary>
public abstract class CrashTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dp-txcrash-").FullName;
    private BankDatabases _bank = null!;

    public async Task InitializeAsync() => _bank = await BankDatabases.CreateAsync("txcrash");

    public async Task DisposeAsync()
    {
        await _bank.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    protected async Task CrashAndRecoverAsync(string mode, string step, bool committed)
    {
        var orderId = $"{mode}-{step}";
        var logPath = Path.Combine(_directory, $"{orderId}.log");
        var balanceBefore = await _bank.BalanceAsync();
        await using (var child = ChildProcess.StartDotnet(
            "DataPatterns.Transactions.TestHost.dll",
            [mode, step, _bank.Payments, _bank.Orders, BankDatabases.Prefix, _bank.Node, logPath, orderId]))
        {
            await child.WaitForLineAsync($"STEP {step}", TimeSpan.FromSeconds(60));
            await child.KillAsync();
        }

        // With parallel phase 2 both branches may have committed before the kill at "FirstCommitted"; the decision is still open then.
        Assert.True(step == "FirstCommitted" || await _bank.PreparedLeftAsync() > 0, "the killed process left prepared transactions behind");

        await using var payments = NpgsqlTransactionResource.Create("payments", _bank.Payments);
        await using var orders = NpgsqlTransactionResource.Create("orders", _bank.Orders);
        await using var log = new FileDecisionLog(logPath);
        await using var coordinator = new TwoPhaseCommitCoordinator(_bank.Options(), log, [payments, orders]);
        var result = await coordinator.RecoverAsync(CancellationToken.None);

        var debited = balanceBefore - await _bank.BalanceAsync();
        var credited = await _bank.OrderAmountAsync(orderId);
        Assert.Equal(committed ? (10L, 10L) : (0L, 0L), (debited, credited));
        Assert.Equal(0, await _bank.PreparedLeftAsync());
        Assert.Empty(result.UnreachableResources);
        Assert.Empty(await log.ReadCommittedAsync(CancellationToken.None));
    }
}

/// <summary>The coordinator's own API, killed at each of the four steps (a class of its own so it runs beside the scope's).</summary>
public sealed class CoordinatorCrashTests : CrashTests
{
    [Theory]
    [InlineData("FirstPrepared", false)]
    [InlineData("AllPrepared", false)]
    [InlineData("DecisionLogged", true)]
    [InlineData("FirstCommitted", true)]
    public Task A_crash_at_any_step_ends_with_both_or_neither_after_recovery(string step, bool committed) =>
        CrashAndRecoverAsync("coordinator", step, committed);
}

/// <summary>The TransactionScope path, killed before and after the decision.</summary>
public sealed class TransactionScopeCrashTests : CrashTests
{
    [Theory]
    [InlineData("AllPrepared", false)]
    [InlineData("DecisionLogged", true)]
    public Task A_transaction_scope_killed_mid_commit_is_recovered_to_both_or_neither(string step, bool committed) =>
        CrashAndRecoverAsync("scope", step, committed);
}
