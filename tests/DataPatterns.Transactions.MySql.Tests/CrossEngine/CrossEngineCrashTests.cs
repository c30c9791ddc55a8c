using DataPatterns.Testing;
using DataPatterns.Transactions.Npgsql;

namespace DataPatterns.Transactions.MySql.Tests.CrossEngine;

/// <summary>
/// One transaction across PostgreSQL ("payments") and MariaDB ("orders", an XA branch): a child process runs the
/// transfer and is killed with SIGKILL at a protocol step; then another coordinator, in this process, recovers. Every
/// time both engines committed or both rolled back, the money and the order row agree, and nothing of the transaction
/// is left in <c>pg_prepared_xacts</c> or <c>XA RECOVER</c>.
/// </summary>
public abstract class CrossEngineCrashTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dp-xacross-").FullName;
    private CrossEngineBank _bank = null!;

    /// <summary>Where the decision log lives: <c>file</c>, <c>mysql</c> (orders' database) or <c>npgsql</c> (payments').</summary>
    protected abstract string DecisionLog { get; }

    public async Task InitializeAsync() => _bank = await CrossEngineBank.CreateAsync("xacrash");

    public async Task DisposeAsync()
    {
        await _bank.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    protected async Task CrashAndRecoverAsync(string pause, bool committed)
    {
        var orderId = $"{DecisionLog}-{pause}";
        var logPath = Path.Combine(_directory, $"{pause.Replace(':', '-')}.log");
        var balanceBefore = await _bank.BalanceAsync();
        await using (var child = ChildProcess.StartDotnet(
            "DataPatterns.Transactions.TestHost.dll",
            [$"cross-{DecisionLog}", pause, _bank.Payments, _bank.Orders, CrossEngineBank.Prefix, _bank.Node, logPath, orderId]))
        {
            await child.WaitForLineAsync($"STEP {pause.Split(':')[0]}", TimeSpan.FromSeconds(60));
            await ExpectPreparedAsync(pause);
            await child.KillAsync();
        }

        await RecoverAsync(logPath);

        var debited = balanceBefore - await _bank.BalanceAsync();
        var credited = await _bank.OrderAmountAsync(orderId);
        Assert.Equal(committed ? (10L, 10L) : (0L, 0L), (debited, credited));
        Assert.Equal(0, await _bank.PreparedInPostgresAsync());
        Assert.Equal(0, await _bank.PreparedInMariaDbAsync());
    }

    /// <summary>Checks, before the kill, that the step left the engines as its name says (the test kills where it means to).</summary>
    private async Task ExpectPreparedAsync(string pause)
    {
        var (postgres, mariaDb) = pause switch
        {
            "Worked" => (0L, 0L),
            "FirstPrepared:payments" => (1L, 0L),
            "FirstPrepared:orders" => (0L, 1L),
            "FirstCommitted:payments" => (0L, 1L),
            "FirstCommitted:orders" => (1L, 0L),
            _ => (1L, 1L),
        };
        Assert.Equal((postgres, mariaDb), (await _bank.PreparedInPostgresAsync(), await _bank.PreparedInMariaDbAsync()));
    }

    /// <summary>Another coordinator, with the dead one's prefix and node id and its decision log, settles both engines.</summary>
    private async Task RecoverAsync(string logPath)
    {
        await using var payments = NpgsqlTransactionResource.Create("payments", _bank.Payments);
        await using var orders = MySqlTransactionResource.Create("orders", _bank.Orders);
        IDecisionLog log = DecisionLog switch
        {
            "file" => new FileDecisionLog(logPath),
            "mysql" => MySqlDecisionLog.Create(_bank.Orders),
            _ => NpgsqlDecisionLog.Create(_bank.Payments),
        };
        await using var logLifetime = (IAsyncDisposable)log;
        await using var coordinator = new TwoPhaseCommitCoordinator(_bank.Options(), log, [payments, orders]);

        // MariaDB hands a prepared branch to another session only once it has noticed that the killed client's
        // connection is gone; until then a pass may leave it waiting. A few passes suffice.
        for (var pass = 0; pass < 20 && (pass == 0 || await _bank.PreparedLeftAsync() > 0); pass++)
        {
            if (pass > 0)
            {
                await Task.Delay(100);
            }

            var result = await coordinator.RecoverAsync(CancellationToken.None);
            Assert.Empty(result.UnreachableResources);
        }

        Assert.Empty(await log.ReadCommittedAsync(CancellationToken.None));
    }
}

/// <summary>The embedded file decision log: killed before any prepare, after each engine prepared alone, after both, after the decision, after each engine committed alone.</summary>
public sealed class CrossEngineFileLogCrashTests : CrossEngineCrashTests
{
    protected override string DecisionLog => "file";

    [Theory]
    [InlineData("Worked", false)]
    [InlineData("FirstPrepared:payments", false)]
    [InlineData("FirstPrepared:orders", false)]
    [InlineData("AllPrepared", false)]
    [InlineData("DecisionLogged", true)]
    [InlineData("FirstCommitted:payments", true)]
    [InlineData("FirstCommitted:orders", true)]
    public Task A_coordinator_killed_at_any_step_leaves_both_engines_committed_or_both_rolled_back_after_recovery(string pause, bool committed) =>
        CrashAndRecoverAsync(pause, committed);
}

/// <summary>The decision log in MariaDB (the orders database): the same steps, the decisions read back from MariaDB.</summary>
public sealed class CrossEngineMySqlLogCrashTests : CrossEngineCrashTests
{
    protected override string DecisionLog => "mysql";

    [Theory]
    [InlineData("FirstPrepared:orders", false)]
    [InlineData("AllPrepared", false)]
    [InlineData("DecisionLogged", true)]
    [InlineData("FirstCommitted:payments", true)]
    [InlineData("FirstCommitted:orders", true)]
    public Task A_coordinator_with_its_decisions_in_mariadb_killed_at_any_step_is_recovered_to_both_or_neither(string pause, bool committed) =>
        CrashAndRecoverAsync(pause, committed);
}

/// <summary>The decision log in PostgreSQL (the payments database), after the decision and during phase 2.</summary>
public sealed class CrossEngineNpgsqlLogCrashTests : CrossEngineCrashTests
{
    protected override string DecisionLog => "npgsql";

    [Theory]
    [InlineData("AllPrepared", false)]
    [InlineData("DecisionLogged", true)]
    [InlineData("FirstCommitted:orders", true)]
    public Task A_coordinator_with_its_decisions_in_postgresql_killed_at_any_step_is_recovered_to_both_or_neither(string pause, bool committed) =>
        CrashAndRecoverAsync(pause, committed);
}
