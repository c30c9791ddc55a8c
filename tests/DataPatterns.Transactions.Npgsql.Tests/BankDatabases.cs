using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// "payments" (a database of its own on the primary, an accounts table with account 1 holding 1000) and "orders" (on
/// node2, or on a private server, an orders table), plus a global-id node unique to the test class so concurrent test
/// projects that prepare transactions on the same servers are never touched by this class's recovery.
/// </summary>
public sealed class BankDatabases : IAsyncDisposable
{
    public const string Prefix = "dptxtest";

    private BankDatabases(TemporaryDatabase payments, TemporaryDatabase? orders, string ordersConnectionString)
    {
        PaymentsDatabase = payments;
        OrdersDatabase = orders;
        Payments = payments.ConnectionString;
        Orders = ordersConnectionString;
        Node = "n" + Guid.NewGuid().ToString("N")[..16];
    }

    public TemporaryDatabase PaymentsDatabase { get; }

    public TemporaryDatabase? OrdersDatabase { get; }

    public string Payments { get; }

    public string Orders { get; }

    public string Node { get; }

    public string GlobalIdPrefix => $"{Prefix}:{Node}:";

    /// <summary>Stateless recovery takes every transaction of its prefix, so each class gets a prefix of its own.</summary>
    public string StatelessPrefix => "st" + Node;

    public string StatelessGlobalIdPrefix => $"{StatelessPrefix}:~:";

    /// <summary>Payments on the primary; orders on node2, or on <paramref name="ordersServer"/> when given.</summary>
    public static async Task<BankDatabases> CreateAsync(string purpose, TestServer? ordersServer = null)
    {
        var payments = await TemporaryDatabase.CreateAsync(TestServers.Primary, purpose + "_pay");
        TemporaryDatabase? orders = null;
        string ordersConnectionString;
        if (ordersServer is null)
        {
            orders = await TemporaryDatabase.CreateAsync(TestServers.Node2, purpose + "_ord");
            ordersConnectionString = orders.ConnectionString;
        }
        else
        {
            ordersConnectionString = ordersServer.ConnectionString;
        }

        var bank = new BankDatabases(payments, orders, ordersConnectionString);
        await ExecuteAsync(bank.Payments, "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL); INSERT INTO accounts VALUES (1, 1000)");
        await ExecuteAsync(bank.Orders, "DROP TABLE IF EXISTS orders; CREATE TABLE orders (id text PRIMARY KEY, amount bigint NOT NULL)");
        return bank;
    }

    public TwoPhaseCommitOptions Options() => new()
    {
        Prefix = Prefix,
        NodeId = Node,
        RecoveryGracePeriod = TimeSpan.Zero,
        TransactionTimeout = TimeSpan.FromSeconds(10),
        RetryDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryDelay = TimeSpan.FromMilliseconds(400),
    };

    /// <summary>Stateless commit over the bank, with the class's own prefix.</summary>
    public TwoPhaseCommitOptions StatelessOptions()
    {
        var options = Options();
        options.Prefix = StatelessPrefix;
        options.StatelessCommit = true;
        return options;
    }

    /// <summary>Markers (fenced or not) of this class's stateless transactions in one database.</summary>
    public async Task<long> MarkersAsync(string connectionString, bool fenced) =>
        (long)(await ScalarAsync(connectionString, $"SELECT count(*) FROM datapatterns_2pc_markers WHERE fenced = {fenced} AND starts_with(gid, '{StatelessGlobalIdPrefix}')"))!;

    public async Task<long> BalanceAsync() => (long)(await ScalarAsync(Payments, "SELECT balance FROM accounts WHERE id = 1"))!;

    public async Task<long> OrdersTotalAsync() => (long)(await ScalarAsync(Orders, "SELECT coalesce(sum(amount), 0)::bigint FROM orders"))!;

    public async Task<long> OrderAmountAsync(string id)
    {
        await using var connection = new NpgsqlConnection(Orders);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(sum(amount), 0)::bigint FROM orders WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Prepared transactions of this class's node on both servers.</summary>
    public async Task<long> PreparedLeftAsync()
    {
        var sql = $"SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '{GlobalIdPrefix}') OR starts_with(gid, '{StatelessGlobalIdPrefix}')";
        return (long)(await ScalarAsync(Payments, sql))! + (long)(await ScalarAsync(Orders, sql))!;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Enlists payments and orders in <paramref name="transaction"/> and does the transfer's work on both.</summary>
    public static async Task<(NpgsqlTransactionBranch Debit, NpgsqlTransactionBranch Credit)> EnlistTransferAsync(DistributedTransaction transaction, string orderId, long amount)
    {
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");
        await TransferAsync(debit, credit, orderId, amount);
        return (debit, credit);
    }

    /// <summary>Moves <paramref name="amount"/> from account 1 to a new order row, on the branches' connections.</summary>
    public static async Task TransferAsync(NpgsqlTransactionBranch debit, NpgsqlTransactionBranch credit, string orderId, long amount)
    {
        await using (var command = new NpgsqlCommand("UPDATE accounts SET balance = balance - $1 WHERE id = 1", debit.Connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = amount });
            await command.ExecuteNonQueryAsync();
        }

        await using (var command = new NpgsqlCommand("INSERT INTO orders (id, amount) VALUES ($1, $2)", credit.Connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = orderId });
            command.Parameters.Add(new NpgsqlParameter { Value = amount });
            await command.ExecuteNonQueryAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Leave nothing prepared behind (a prepared transaction would block DROP DATABASE).
        foreach (var connectionString in new[] { Payments, Orders })
        {
            try
            {
                await using var resource = NpgsqlTransactionResource.Create("cleanup", connectionString);
                foreach (var prefix in new[] { GlobalIdPrefix, StatelessGlobalIdPrefix })
                {
                    foreach (var branch in await resource.GetInDoubtBranchesAsync(prefix, CancellationToken.None))
                    {
                        await resource.RollbackPreparedAsync(branch.GlobalId, CancellationToken.None);
                    }
                }
            }
            catch (NpgsqlException)
            {
                // The server is gone (a private one already disposed).
            }
        }

        await PaymentsDatabase.DisposeAsync();
        if (OrdersDatabase is not null)
        {
            await OrdersDatabase.DisposeAsync();
        }
    }
}
