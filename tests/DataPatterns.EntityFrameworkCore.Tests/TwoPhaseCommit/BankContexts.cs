using DataPatterns.Testing;
using DataPatterns.Transactions;
using DataPatterns.Transactions.Npgsql;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DataPatterns.EntityFrameworkCore.Tests.TwoPhaseCommit;

public sealed class Account
{
    public int Id { get; set; }

    public long Balance { get; set; }
}

public sealed class Order
{
    public string Id { get; set; } = string.Empty;

    public long Amount { get; set; }
}

public sealed class PaymentsContext(DbContextOptions<PaymentsContext> options) : DbContext(options)
{
    public DbSet<Account> Accounts => Set<Account>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Account>(a =>
        {
            a.ToTable("accounts");
            a.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            a.Property(x => x.Balance).HasColumnName("balance");
        });
}

public sealed class OrdersContext(DbContextOptions<OrdersContext> options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Order>(o =>
        {
            o.ToTable("orders");
            o.Property(x => x.Id).HasColumnName("id");
            o.Property(x => x.Amount).HasColumnName("amount");
        });
}

/// <summary>
/// "payments" on the primary (account 1 holds 1000) and "orders" on node2, each a temporary database, registered with a
/// coordinator under a global-id node of the class's own so no other test's recovery touches its branches.
/// </summary>
public sealed class EfBank : IAsyncDisposable
{
    public const string Prefix = "dpeftx";

    private readonly string _directory = Directory.CreateTempSubdirectory("dp-eftx-").FullName;

    private EfBank(TemporaryDatabase payments, TemporaryDatabase orders)
    {
        PaymentsDatabase = payments;
        OrdersDatabase = orders;
        Node = "n" + Guid.NewGuid().ToString("N")[..16];
        PaymentsResource = NpgsqlTransactionResource.Create("payments", payments.ConnectionString);
        OrdersResource = NpgsqlTransactionResource.Create("orders", orders.ConnectionString);
        Log = new FileDecisionLog(LogPath("main"));
        Coordinator = new TwoPhaseCommitCoordinator(Options(), Log, [PaymentsResource, OrdersResource]);
    }

    public FileDecisionLog Log { get; }

    public TwoPhaseCommitCoordinator Coordinator { get; }

    public TemporaryDatabase PaymentsDatabase { get; }

    public TemporaryDatabase OrdersDatabase { get; }

    public string Node { get; }

    public NpgsqlTransactionResource PaymentsResource { get; }

    public NpgsqlTransactionResource OrdersResource { get; }

    public string LogPath(string name) => Path.Combine(_directory, name + ".log");

    public static async Task<EfBank> CreateAsync(string purpose)
    {
        var bank = new EfBank(
            await TemporaryDatabase.CreateAsync(TestServers.Primary, purpose + "_pay"),
            await TemporaryDatabase.CreateAsync(TestServers.Node2, purpose + "_ord"));
        await ExecuteAsync(bank.PaymentsDatabase.ConnectionString, "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0)); INSERT INTO accounts VALUES (1, 1000)");
        await ExecuteAsync(bank.OrdersDatabase.ConnectionString, "CREATE TABLE orders (id text PRIMARY KEY, amount bigint NOT NULL)");
        return bank;
    }

    public TwoPhaseCommitOptions Options() => new()
    {
        Prefix = Prefix,
        NodeId = Node,
        RecoveryGracePeriod = TimeSpan.Zero,
        TransactionTimeout = TimeSpan.FromSeconds(20),
        RetryDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryDelay = TimeSpan.FromMilliseconds(400),
    };

    public PaymentsContext Payments() =>
        new(new DbContextOptionsBuilder<PaymentsContext>().UseNpgsql(PaymentsDatabase.ConnectionString).Options);

    public OrdersContext Orders() =>
        new(new DbContextOptionsBuilder<OrdersContext>().UseNpgsql(OrdersDatabase.ConnectionString).Options);

    public async Task<long> BalanceAsync() => (long)(await ScalarAsync(PaymentsDatabase.ConnectionString, "SELECT balance FROM accounts WHERE id = 1"))!;

    public async Task<long> OrdersTotalAsync() => (long)(await ScalarAsync(OrdersDatabase.ConnectionString, "SELECT coalesce(sum(amount), 0)::bigint FROM orders"))!;

    /// <summary>Prepared transactions of this bank's node left on either server.</summary>
    public async Task<long> PreparedLeftAsync() =>
        (long)(await ScalarAsync(PaymentsDatabase.ConnectionString, $"SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '{Prefix}:{Node}:')"))!
        + (long)(await ScalarAsync(OrdersDatabase.ConnectionString, $"SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '{Prefix}:{Node}:')"))!;

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

    public async ValueTask DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        await Log.DisposeAsync();
        await PaymentsResource.DisposeAsync();
        await OrdersResource.DisposeAsync();
        await PaymentsDatabase.DisposeAsync();
        await OrdersDatabase.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
