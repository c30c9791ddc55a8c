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
        var stateless = mode == "stateless";
        await using (var child = ChildProcess.StartDotnet(
            "DataPatterns.Transactions.TestHost.dll",
            [mode, step, _bank.Payments, _bank.Orders, stateless ? _bank.StatelessPrefix : BankDatabases.Prefix, _bank.Node, logPath, orderId]))
        {
            await child.WaitForLineAsync($"STEP {step}", TimeSpan.FromSeconds(60));
            await child.KillAsync();
        }

        // With parallel phase 2 both branches may have committed before the kill at "FirstCommitted"; the decision is still open then.
        Assert.True(step == "FirstCommitted" || await _bank.PreparedLeftAsync() > 0, "the killed process left prepared transactions behind");

        if (stateless)
        {
            await RecoverStatelessAsync();
        }
        else
        {
            await RecoverFromLogAsync(mode, logPath);
        }

        var debited = balanceBefore - await _bank.BalanceAsync();
        var credited = await _bank.OrderAmountAsync(orderId);
        Assert.Equal(committed ? (10L, 10L) : (0L, 0L), (debited, credited));
        Assert.Equal(0, await _bank.PreparedLeftAsync());
    }

    /// <summary>Another instance, knowing nothing of the dead one, settles its transaction from the participants.</summary>
    private async Task RecoverStatelessAsync()
    {
        await using var payments = NpgsqlTransactionResource.Create("payments", _bank.Payments);
        await using var orders = NpgsqlTransactionResource.Create("orders", _bank.Orders);
        await using var coordinator = new TwoPhaseCommitCoordinator(_bank.StatelessOptions(), decisionLog: null, [payments, orders]);

        // A fence meets a branch still held only while the server has not yet noticed the killed client; a few passes suffice.
        for (var pass = 0; pass < 10 && await _bank.PreparedLeftAsync() > 0; pass++)
        {
            var result = await coordinator.RecoverAsync(CancellationToken.None);
            Assert.Empty(result.UnreachableResources);
        }
    }

    private async Task RecoverFromLogAsync(string mode, string logPath)
    {
        // Last-resource commit keeps its decisions in payments' database, so a fresh process finds them there.
        var lastResource = mode == "lastresource";
        await using var payments = NpgsqlTransactionResource.Create("payments", _bank.Payments);
        await using var orders = NpgsqlTransactionResource.Create("orders", _bank.Orders);
        IDecisionLog log = lastResource ? NpgsqlDecisionLog.Create(_bank.Payments) : new FileDecisionLog(logPath);
        await using var logLifetime = (IAsyncDisposable)log;
        var options = _bank.Options();
        options.LastResourceCommit = lastResource;
        await using var coordinator = new TwoPhaseCommitCoordinator(options, log, [payments, orders]);
        var result = await coordinator.RecoverAsync(CancellationToken.None);

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

/// <summary>
/// Last-resource commit (payments commits with the decision row, orders is prepared), killed at each step: before the
/// decision payments' open transaction dies with the process and recovery fences and rolls orders back; after it,
/// recovery finds the row in payments and commits orders.
/// </summary>
public sealed class LastResourceCrashTests : CrashTests
{
    [Theory]
    [InlineData("FirstPrepared", false)]
    [InlineData("AllPrepared", false)]
    [InlineData("DecisionLogged", true)]
    [InlineData("FirstCommitted", true)]
    public Task A_last_resource_commit_killed_at_any_step_ends_with_both_or_neither_after_recovery(string step, bool committed) =>
        CrashAndRecoverAsync("lastresource", step, committed);
}

/// <summary>
/// Stateless commit, killed after the first prepare (orders not yet sent: another instance fences it and rolls
/// payments back), after every branch prepared (committed: nothing else is needed) and during phase 2.
/// </summary>
public sealed class StatelessCrashTests : CrashTests
{
    [Theory]
    [InlineData("FirstPrepared", false)]
    [InlineData("AllPrepared", true)]
    [InlineData("FirstCommitted", true)]
    public Task A_stateless_commit_killed_at_any_step_is_settled_both_or_neither_by_another_instance(string step, bool committed) =>
        CrashAndRecoverAsync("stateless", step, committed);
}
