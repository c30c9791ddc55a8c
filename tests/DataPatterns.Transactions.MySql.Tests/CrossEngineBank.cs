using DataPatterns.Testing;
using MySqlConnector;
using Npgsql;

namespace DataPatterns.Transactions.MySql.Tests;

/// <summary>
/// "payments" (a PostgreSQL database of its own on the primary, account 1 holding 1000) and "orders" (a MariaDB database of
/// its own on node2, or on a private server, an orders table), plus a global-id node unique to the instance so that test
/// classes running at once never resolve each other's branches.
/// </summary>
public sealed class CrossEngineBank : IAsyncDisposable
{
    public const string Prefix = "dpxa";

    private CrossEngineBank(TemporaryDatabase payments, string ordersDatabase, string ordersServer)
    {
        PaymentsDatabase = payments;
        Payments = payments.ConnectionString;
        OrdersDatabase = ordersDatabase;
        OrdersServer = ordersServer;
        Orders = new MySqlConnectionStringBuilder(ordersServer) { Database = ordersDatabase }.ConnectionString;
        Node = "n" + Guid.NewGuid().ToString("N")[..16];
    }

    public TemporaryDatabase PaymentsDatabase { get; }

    public string Payments { get; }

    public string OrdersDatabase { get; }

    public string OrdersServer { get; }

    public string Orders { get; }

    public string Node { get; }

    public string GlobalIdPrefix => $"{Prefix}:{Node}:";

    /// <summary>Payments on the PostgreSQL primary; orders on MariaDB node2, or on <paramref name="ordersServer"/>.</summary>
    public static async Task<CrossEngineBank> CreateAsync(string purpose, string? ordersServer = null)
    {
        var payments = await TemporaryDatabase.CreateAsync(TestServers.Primary, purpose + "_pay");
        var server = ordersServer ?? TestServers.MariaDbNode2.ConnectionString;
        var database = $"dpxa_{purpose}_{Guid.NewGuid():N}"[..40];
        await MariaDbAsync(server, $"CREATE DATABASE `{database}`; CREATE TABLE `{database}`.orders (id VARCHAR(64) PRIMARY KEY, amount BIGINT NOT NULL) ENGINE=InnoDB");
        var bank = new CrossEngineBank(payments, database, server);
        await PostgresAsync(bank.Payments, "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL); INSERT INTO accounts VALUES (1, 1000)");
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

    public async Task<long> BalanceAsync() => (long)(await PostgresAsync(Payments, "SELECT balance FROM accounts WHERE id = 1"))!;

    public async Task<long> OrdersTotalAsync() => Convert.ToInt64(await MariaDbAsync(Orders, "SELECT COALESCE(SUM(amount), 0) FROM orders"), System.Globalization.CultureInfo.InvariantCulture);

    public async Task<long> OrderCountAsync() => Convert.ToInt64(await MariaDbAsync(Orders, "SELECT COUNT(*) FROM orders"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Prepared branches of this bank's node: PostgreSQL's pg_prepared_xacts plus MariaDB's XA RECOVER.</summary>
    public async Task<int> PreparedLeftAsync()
    {
        var postgres = (long)(await PostgresAsync(Payments, $"SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '{GlobalIdPrefix}')"))!;
        return (int)postgres + (await XaBranchesAsync()).Count;
    }

    /// <summary>This node's global ids in XA RECOVER on the orders server.</summary>
    public async Task<IReadOnlyList<InDoubtBranch>> XaBranchesAsync()
    {
        await using var resource = MySqlTransactionResource.Create("probe", Orders);
        return await resource.GetInDoubtBranchesAsync(GlobalIdPrefix, CancellationToken.None);
    }

    /// <summary>Moves <paramref name="amount"/> from account 1 (PostgreSQL) to a new order row (MariaDB).</summary>
    public static async Task TransferAsync(global::Npgsql.NpgsqlConnection debit, MySqlConnection credit, string orderId, long amount)
    {
        await using (var command = new NpgsqlCommand("UPDATE accounts SET balance = balance - $1 WHERE id = 1", debit))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = amount });
            await command.ExecuteNonQueryAsync();
        }

        await InsertOrderAsync(credit, orderId, amount);
    }

    public static async Task InsertOrderAsync(MySqlConnection credit, string orderId, long amount)
    {
        await using var command = new MySqlCommand("INSERT INTO orders (id, amount) VALUES (@id, @amount)", credit);
        command.Parameters.AddWithValue("@id", orderId);
        command.Parameters.AddWithValue("@amount", amount);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<object?> PostgresAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public static async Task<object?> MariaDbAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // Leave nothing prepared behind on the shared servers.
        try
        {
            await using var orders = MySqlTransactionResource.Create("cleanup", Orders);
            foreach (var branch in await orders.GetInDoubtBranchesAsync(GlobalIdPrefix, CancellationToken.None))
            {
                await orders.RollbackPreparedAsync(branch.GlobalId, CancellationToken.None);
            }

            await MariaDbAsync(OrdersServer, $"DROP DATABASE IF EXISTS `{OrdersDatabase}`");
        }
        catch (MySqlException)
        {
            // A private server already gone.
        }

        await using (var payments = global::Npgsql.NpgsqlDataSource.Create(Payments))
        await using (var connection = await payments.OpenConnectionAsync())
        await using (var list = new NpgsqlCommand($"SELECT gid FROM pg_prepared_xacts WHERE starts_with(gid, '{GlobalIdPrefix}')", connection))
        {
            var gids = new List<string>();
            await using (var reader = await list.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    gids.Add(reader.GetString(0));
                }
            }

            foreach (var gid in gids)
            {
                await using var rollback = new NpgsqlCommand($"ROLLBACK PREPARED '{gid}'", connection);
                await rollback.ExecuteNonQueryAsync();
            }
        }

        MySqlConnection.ClearAllPools();
        await PaymentsDatabase.DisposeAsync();
    }
}
