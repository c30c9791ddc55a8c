using DataPatterns.Testing;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>Tests that stop a server or change its settings: "orders" is a PostgreSQL server of this class's own.</summary>
public sealed class PrivateServerTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dp-txpriv-").FullName;
    private PrivatePostgres _ordersServer = null!;
    private BankDatabases _bank = null!;

    public async Task InitializeAsync()
    {
        _ordersServer = await PrivatePostgres.StartNewAsync("tx-orders");
        _bank = await BankDatabases.CreateAsync("txpriv", _ordersServer.Server);
    }

    public async Task DisposeAsync()
    {
        await _bank.DisposeAsync();
        await _ordersServer.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_participant_down_during_phase_two_is_reported_committed_and_committed_when_it_is_back()
    {
        await using var payments = NpgsqlTransactionResource.Create("payments", _bank.Payments);
        await using var orders = NpgsqlTransactionResource.Create("orders", _bank.Orders);
        await using var log = new FileDecisionLog(Path.Combine(_directory, "down.log"));
        var options = _bank.Options();
        options.RetryDelay = TimeSpan.FromMilliseconds(200);
        options.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
        await using var coordinator = new TwoPhaseCommitCoordinator(options, log, [payments, orders]);
        coordinator.StepObserver = async (step, _) =>
        {
            if (step == TransactionProtocolStep.DecisionLogged)
            {
                await _ordersServer.StopAsync(immediate: true); // the prepared branch survives in the server's WAL
            }
        };
        await using var transaction = coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");
        await BankDatabases.TransferAsync(debit, credit, "down-1", 10);

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.CommittedPendingPhaseTwo, transaction.Status);
        Assert.Equal(990, await _bank.BalanceAsync());

        await _ordersServer.StartAsync();
        await coordinator.WhenPhaseTwoCompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(10, await _bank.OrderAmountAsync("down-1"));
        Assert.Equal(0, await _bank.PreparedLeftAsync());
        Assert.Empty(await log.ReadCommittedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Recovery_commits_a_branch_whose_server_was_down_once_it_is_back()
    {
        await using var payments = NpgsqlTransactionResource.Create("payments", _bank.Payments);
        await using var orders = NpgsqlTransactionResource.Create("orders", _bank.Orders);
        var logPath = Path.Combine(_directory, "recover.log");
        var log = new FileDecisionLog(logPath);
        var crashed = new TwoPhaseCommitCoordinator(_bank.Options(), log, [payments, orders]);
        var reached = new TaskCompletionSource();
        crashed.StepObserver = async (step, _) =>
        {
            if (step == TransactionProtocolStep.DecisionLogged)
            {
                await _ordersServer.StopAsync(immediate: true);
                reached.TrySetResult();
                await new TaskCompletionSource().Task; // the process dies here
            }
        };
        var transaction = crashed.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");
        await BankDatabases.TransferAsync(debit, credit, "down-2", 10);
        _ = transaction.CommitAsync().AsTask();
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await log.DisposeAsync();

        await using var reopened = new FileDecisionLog(logPath);
        await using var fresh = new TwoPhaseCommitCoordinator(_bank.Options(), reopened, [payments, orders]);
        var whileDown = await fresh.RecoverAsync(CancellationToken.None);
        Assert.Equal(["orders"], whileDown.UnreachableResources);
        Assert.Single(await reopened.ReadCommittedAsync(CancellationToken.None));

        await _ordersServer.StartAsync();
        var afterRestart = await fresh.RecoverAsync(CancellationToken.None);

        Assert.Equal(1, afterRestart.Forgotten);
        Assert.Equal(10, await _bank.OrderAmountAsync("down-2"));
        Assert.Equal(0, await _bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task The_start_up_check_fails_clearly_when_max_prepared_transactions_is_zero()
    {
        await BankDatabases.ExecuteAsync(_ordersServer.ConnectionString, "ALTER SYSTEM SET max_prepared_transactions = 0");
        await _ordersServer.StopAsync(immediate: false);
        await _ordersServer.StartAsync();
        try
        {
            await using var orders = NpgsqlTransactionResource.Create("orders", _bank.Orders);

            var error = await Assert.ThrowsAsync<PreparedTransactionsUnavailableException>(() => orders.ValidateAsync(CancellationToken.None).AsTask());

            Assert.Equal("orders", error.ResourceName);
            Assert.Contains("max_prepared_transactions = 0", error.Message, StringComparison.Ordinal);
            Assert.Contains("restart the server", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await BankDatabases.ExecuteAsync(_ordersServer.ConnectionString, "ALTER SYSTEM RESET max_prepared_transactions");
            await _ordersServer.StopAsync(immediate: false);
            await _ordersServer.StartAsync();
        }
    }
}
