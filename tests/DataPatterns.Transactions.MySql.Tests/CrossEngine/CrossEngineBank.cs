using System.Text;
using DataPatterns.Testing;
using DataPatterns.Transactions.Npgsql;
using MySqlConnector;
using Npgsql;

namespace DataPatterns.Transactions.MySql.Tests.CrossEngine;

/// <summary>
/// "payments" on PostgreSQL (a database of its own on the primary; account 1 holds 1000) and "orders" on MariaDB (a
/// database of its own on the MariaDB primary; an orders table), with a node id unique to the test class, so that the
/// recovery of other test classes and projects, which prepare on the same servers, never touches this class's branches.
/// </summary>
public sealed class CrossEngineBank : IAsyncDisposable
{
    public const string Prefix = "dpxc";

    private readonly TemporaryDatabase _payments;
    private readonly string _ordersDatabase;

    private CrossEngineBank(TemporaryDatabase payments, string ordersDatabase)
    {
        _payments = payments;
        _ordersDatabase = ordersDatabase;
        Payments = payments.ConnectionString;
        Orders = new MySqlConnectionStringBuilder(TestServers.MariaDbPrimary.ConnectionString) { Database = ordersDatabase }.ConnectionString;
        Node = "n" + Guid.NewGuid().ToString("N")[..16];
    }

    /// <summary>The PostgreSQL database of the payments.</summary>
    public string Payments { get; }

    /// <summary>The MariaDB database of the orders.</summary>
    public string Orders { get; }

    public string Node { get; }

    public string GlobalIdPrefix => $"{Prefix}:{Node}:";

    public static async Task<CrossEngineBank> CreateAsync(string purpose)
    {
        var payments = await TemporaryDatabase.CreateAsync(TestServers.Primary, purpose + "_pay");
        var ordersDatabase = $"dp_{purpose}_ord_{Guid.NewGuid():N}";
        await ExecuteMariaDbAsync(TestServers.MariaDbPrimary.ConnectionString, $"CREATE DATABASE `{ordersDatabase}`");
        var bank = new CrossEngineBank(payments, ordersDatabase);
        await ExecutePostgresAsync(bank.Payments, "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL); INSERT INTO accounts VALUES (1, 1000)");
        await ExecuteMariaDbAsync(bank.Orders, "CREATE TABLE orders (id VARCHAR(100) PRIMARY KEY, amount BIGINT NOT NULL) ENGINE=InnoDB");
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

    public async Task<long> BalanceAsync() => (long)(await ScalarPostgresAsync(Payments, "SELECT balance FROM accounts WHERE id = 1"))!;

    public async Task<long> OrderAmountAsync(string id)
    {
        await using var connection = new MySqlConnection(Orders);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM orders WHERE id = @id", connection);
        command.Parameters.AddWithValue("@id", id);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>This class's prepared transactions in PostgreSQL (<c>pg_prepared_xacts</c>).</summary>
    public async Task<long> PreparedInPostgresAsync() =>
        (long)(await ScalarPostgresAsync(Payments, $"SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '{GlobalIdPrefix}')"))!;

    /// <summary>
    /// This class's prepared XA branches in MariaDB, read from <c>XA RECOVER</c> itself (not through the participant):
    /// rows whose xid bytes hold this class's node id.
    /// </summary>
    public async Task<long> PreparedInMariaDbAsync()
    {
        await using var connection = new MySqlConnection(Orders);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("XA RECOVER", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var count = 0L;
        while (await reader.ReadAsync())
        {
            var data = (byte[])reader.GetValue(3);
            if (Encoding.Latin1.GetString(data).Contains(Node, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    public async Task<long> PreparedLeftAsync() => await PreparedInPostgresAsync() + await PreparedInMariaDbAsync();

    public static async Task ExecutePostgresAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task ExecuteMariaDbAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarPostgresAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // Nothing of this class may stay prepared: a prepared branch holds its locks (and blocks DROP DATABASE) for good.
        await using (var payments = NpgsqlTransactionResource.Create("cleanup", Payments))
        await using (var orders = MySqlTransactionResource.Create("cleanup", Orders))
        {
            foreach (var resource in new ITransactionResource[] { payments, orders })
            {
                foreach (var branch in await resource.GetInDoubtBranchesAsync(GlobalIdPrefix, CancellationToken.None))
                {
                    await resource.RollbackPreparedAsync(branch.GlobalId, CancellationToken.None);
                }
            }
        }

        MySqlConnection.ClearAllPools();
        await ExecuteMariaDbAsync(TestServers.MariaDbPrimary.ConnectionString, $"DROP DATABASE IF EXISTS `{_ordersDatabase}`");
        await _payments.DisposeAsync();
    }
}
