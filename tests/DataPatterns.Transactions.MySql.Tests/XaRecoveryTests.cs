using DataPatterns.Testing;
using DataPatterns.Transactions.Npgsql;
using MySqlConnector;

namespace DataPatterns.Transactions.MySql.Tests;

/// <summary>Prepared XA branches whose coordinator vanished are found in XA RECOVER and settled by the decision log.</summary>
public sealed class XaRecoveryTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_prepared_branch_whose_client_vanished_is_settled_by_recovery(bool decidedCommit)
    {
        await using var rig = await CrossEngineCoordinator<FileDecisionLog>.CreateAsync("xarecover", static (_, directory) => new FileDecisionLog(Path.Combine(directory, "decisions.log")));
        var (transactionId, globalIds) = await PrepareBothAndVanishAsync(rig.Bank, "o-rec", 25);
        Assert.Equal(2, await rig.Bank.PreparedLeftAsync());
        if (decidedCommit)
        {
            await rig.Log.RecordCommitAsync(new CommitDecision(transactionId, DateTimeOffset.UtcNow, [new CommitBranch("payments", globalIds[0]), new CommitBranch("orders", globalIds[1])]), CancellationToken.None);
        }

        var result = await rig.Coordinator.RecoverAsync(CancellationToken.None);

        Assert.Equal(decidedCommit ? 2 : 0, result.Committed);
        Assert.Equal(decidedCommit ? 0 : 2, result.RolledBack);
        Assert.Equal(decidedCommit ? 975 : 1000, await rig.Bank.BalanceAsync());
        Assert.Equal(decidedCommit ? 25 : 0, await rig.Bank.OrdersTotalAsync());
        Assert.Equal(0, await rig.Bank.PreparedLeftAsync());
        Assert.Equal(0, (await rig.Coordinator.RecoverAsync(CancellationToken.None)).Committed); // idempotent: nothing left
    }

    [Fact]
    public async Task Recovery_never_touches_a_foreign_xa_branch()
    {
        await using var rig = await CrossEngineCoordinator<FileDecisionLog>.CreateAsync("xaforeign", static (_, directory) => new FileDecisionLog(Path.Combine(directory, "decisions.log")));
        // Another transaction manager's branch whose data even starts with our global-id prefix, under formatID 1.
        var foreign = $"X'{Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(rig.Bank.GlobalIdPrefix[..20]))}',X'01',1";
        await PrepareRawAsync(rig.Bank.Orders, foreign);
        try
        {
            await rig.Coordinator.RecoverAsync(CancellationToken.None);

            Assert.Contains(await XaRecoverFormatIdsAsync(rig.Bank.Orders), id => id == 1);
        }
        finally
        {
            await CrossEngineBank.MariaDbAsync(rig.Bank.Orders, $"XA ROLLBACK {foreign}");
        }
    }

    [Fact]
    public async Task A_prepared_branch_survives_kill_9_of_mariadbd_and_is_committed_by_recovery()
    {
        await using var server = await PrivateMariaDb.StartNewAsync("xakill");
        await using var rig = await CrossEngineCoordinator<FileDecisionLog>.CreateAsync("xakill", static (_, directory) => new FileDecisionLog(Path.Combine(directory, "decisions.log")), ordersServer: server.ConnectionString);
        var (transactionId, globalIds) = await PrepareBothAndVanishAsync(rig.Bank, "o-kill9", 40);
        await rig.Log.RecordCommitAsync(new CommitDecision(transactionId, DateTimeOffset.UtcNow, [new CommitBranch("payments", globalIds[0]), new CommitBranch("orders", globalIds[1])]), CancellationToken.None);

        await server.KillAsync(); // SIGKILL while it holds the prepared branch
        MySqlConnection.ClearAllPools();
        var whileDown = await rig.Coordinator.RecoverAsync(CancellationToken.None);
        await server.StartAsync();

        Assert.Contains("orders", whileDown.UnreachableResources);
        Assert.Equal([globalIds[1]], (await rig.Bank.XaBranchesAsync()).Select(b => b.GlobalId)); // InnoDB brought it back prepared
        var result = await rig.Coordinator.RecoverAsync(CancellationToken.None);
        Assert.Equal(1, result.Committed);
        Assert.Equal(960, await rig.Bank.BalanceAsync());
        Assert.Equal(40, await rig.Bank.OrdersTotalAsync());
        Assert.Equal(0, await rig.Bank.PreparedLeftAsync());
    }

    /// <summary>
    /// Prepares a transfer on both engines under a transaction id of this bank's node, as a coordinator would, then drops
    /// the sessions (a vanished client): the branches wait in pg_prepared_xacts and XA RECOVER.
    /// </summary>
    private static async Task<(Guid TransactionId, string[] GlobalIds)> PrepareBothAndVanishAsync(CrossEngineBank bank, string orderId, long amount)
    {
        var transactionId = Guid.CreateVersion7(DateTimeOffset.UtcNow.AddMinutes(-1));
        string[] globalIds = [GlobalTransactionId.Format(bank.GlobalIdPrefix, transactionId, 0), GlobalTransactionId.Format(bank.GlobalIdPrefix, transactionId, 1)];
        await CrossEngineBank.PostgresAsync(bank.Payments, $"BEGIN; UPDATE accounts SET balance = balance - {amount} WHERE id = 1; PREPARE TRANSACTION '{globalIds[0]}'");
        var xid = MySqlXid.From(globalIds[1]);
        await using (var connection = new MySqlConnection(new MySqlConnectionStringBuilder(bank.Orders) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand($"XA START {xid.SqlLiteral}; INSERT INTO orders VALUES ('{orderId}', {amount}); XA END {xid.SqlLiteral}; XA PREPARE {xid.SqlLiteral}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return (transactionId, globalIds);
    }

    private static async Task PrepareRawAsync(string connectionString, string xid)
    {
        await using var connection = new MySqlConnection(new MySqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand($"XA START {xid}; INSERT INTO orders VALUES ('foreign', 1); XA END {xid}; XA PREPARE {xid}", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<long>> XaRecoverFormatIdsAsync(string connectionString)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("XA RECOVER", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<long>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }
}
