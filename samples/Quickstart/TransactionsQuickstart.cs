using System.Transactions;
using DataPatterns.Transactions;
using DataPatterns.Transactions.Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DataPatterns.Samples.Quickstart;

/// <summary>A payment on one server and an order on another, committed in both or in neither (two-phase commit).</summary>
internal static class TransactionsQuickstart
{
    public static async Task<int> RunAsync(string[] args)
    {
        await using var payments = NpgsqlDataSource.Create((Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") ?? "Host=127.0.0.1;Port=55432;Username=postgres") + ";Enlist=false"); // the coordinator enlists
        await using var orders = NpgsqlDataSource.Create((Environment.GetEnvironmentVariable("DATAPATTERNS_PG_NODE2") ?? "Host=127.0.0.1;Port=55434;Username=postgres") + ";Enlist=false");
        await payments.CreateCommand("CREATE TABLE IF NOT EXISTS quickstart_2pc_accounts (id int PRIMARY KEY, balance bigint NOT NULL); INSERT INTO quickstart_2pc_accounts VALUES (1, 100) ON CONFLICT (id) DO UPDATE SET balance = 100").ExecuteNonQueryAsync();
        await orders.CreateCommand("CREATE TABLE IF NOT EXISTS quickstart_2pc_orders (id text PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, amount bigint NOT NULL); TRUNCATE quickstart_2pc_orders").ExecuteNonQueryAsync();
        var builder = Host.CreateApplicationBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Error); // the coordinator logs each rollback as a warning
        builder.Services.AddTwoPhaseCommit(o => { o.Prefix = "quickstart"; o.NodeId = "console-1"; o.DecisionLogPath = Path.Combine(AppContext.BaseDirectory, "2pc.log"); })
            .UseNpgsql("payments", payments).UseNpgsql("orders", orders);
        using var host = builder.Build();
        await host.StartAsync(); // start-up checks (max_prepared_transactions) and a recovery pass
        var coordinator = host.Services.GetRequiredService<TwoPhaseCommitCoordinator>();
        foreach (var (orderId, amount) in new[] { ("order-1", 30L), ("order-1", 50L) }) // the second reuses the order id
        {
            try
            {
                await using var tx = coordinator.Begin();
                await PlaceOrderAsync(tx, orderId, amount);
                await tx.CommitAsync(); // PREPARE on both, the decision fsync'd to the log, COMMIT PREPARED on both
                Console.WriteLine($"{orderId} for {amount}: committed in both databases");
            }
            catch (TwoPhaseCommitAbortedException e) // the duplicate key is checked at PREPARE: "orders" votes no
            {
                Console.WriteLine($"{orderId} for {amount}: rolled back in both databases ({string.Join(", ", e.FailedParticipants)} voted no)");
            }
        }
        using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled)) // the coordinator is its only durable enlistment
        {
            await PlaceOrderAsync(coordinator.JoinAmbientTransaction(), "order-2", 20);
            scope.Complete(); // disposing the scope runs the coordinator's two-phase commit
        }
        var balance = (long)(await payments.CreateCommand("SELECT balance FROM quickstart_2pc_accounts WHERE id = 1").ExecuteScalarAsync())!;
        var ordered = (long)(await orders.CreateCommand("SELECT coalesce(sum(amount), 0)::bigint FROM quickstart_2pc_orders").ExecuteScalarAsync())!;
        Console.WriteLine($"order-2 for 20 through a TransactionScope; payments: balance {balance} (100 - 30 - 20); orders: {ordered} (30 + 20)");
        await host.StopAsync();
        return balance == 50 && ordered == 50 ? 0 : 1;
    }
    private static async Task PlaceOrderAsync(DistributedTransaction tx, string orderId, long amount)
    {
        await using var debit = new NpgsqlCommand("UPDATE quickstart_2pc_accounts SET balance = balance - $1 WHERE id = 1", (await tx.EnlistNpgsqlAsync("payments")).Connection) { Parameters = { new NpgsqlParameter { Value = amount } } };
        await debit.ExecuteNonQueryAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO quickstart_2pc_orders VALUES ($1, $2)", (await tx.EnlistNpgsqlAsync("orders")).Connection) { Parameters = { new NpgsqlParameter { Value = orderId }, new NpgsqlParameter { Value = amount } } };
        await insert.ExecuteNonQueryAsync();
    }
}
