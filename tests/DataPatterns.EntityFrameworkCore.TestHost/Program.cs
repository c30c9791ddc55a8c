using DataPatterns.EntityFrameworkCore;
using DataPatterns.Transactions;
using DataPatterns.Transactions.Npgsql;
using Microsoft.EntityFrameworkCore;

// args: step (Prepared | Decided), payments, orders, prefix, node, decision log path, order id
var (step, paymentsCs, ordersCs, prefix, node, logPath, orderId) = (args[0], args[1], args[2], args[3], args[4], args[5], args[6]);
await using var payments = NpgsqlTransactionResource.Create("payments", paymentsCs);
await using var orders = NpgsqlTransactionResource.Create("orders", ordersCs);
await using var file = new FileDecisionLog(logPath);
var log = new StoppingDecisionLog(file, step);
var options = new TwoPhaseCommitOptions { Prefix = prefix, NodeId = node, RecoveryGracePeriod = TimeSpan.Zero, TransactionTimeout = TimeSpan.FromSeconds(30) };
await using var coordinator = new TwoPhaseCommitCoordinator(options, log, [payments, orders]);

await using var paymentsContext = new HostContext(new DbContextOptionsBuilder<HostContext>().UseNpgsql(paymentsCs).Options);
await using var ordersContext = new HostContext(new DbContextOptionsBuilder<HostContext>().UseNpgsql(ordersCs).Options);
await using var tx = coordinator.Begin();
await tx.EnlistDbContextAsync(paymentsContext, "payments");
await tx.EnlistDbContextAsync(ordersContext, "orders");
await paymentsContext.Database.ExecuteSqlAsync($"UPDATE accounts SET balance = balance - 10 WHERE id = 1");
ordersContext.Orders.Add(new HostOrder { Id = orderId, Amount = 10 });
await ordersContext.SaveChangesAsync();
await tx.CommitAsync();
Console.WriteLine("STEP Finished");

internal sealed class HostOrder
{
    public string Id { get; set; } = string.Empty;

    public long Amount { get; set; }
}

internal sealed class HostContext(DbContextOptions<HostContext> options) : DbContext(options)
{
    public DbSet<HostOrder> Orders => Set<HostOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<HostOrder>(o =>
        {
            o.ToTable("orders");
            o.Property(x => x.Id).HasColumnName("id");
            o.Property(x => x.Amount).HasColumnName("amount");
        });
}

/// <summary>
/// Stops the process's progress at a protocol step: "Prepared" (every branch prepared, no decision yet: recovery must roll
/// back) or "Decided" (the decision is durable, nothing committed: recovery must commit). Prints the step and waits.
/// </summary>
internal sealed class StoppingDecisionLog(IDecisionLog inner, string step) : IDecisionLog
{
    public async ValueTask RecordCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
    {
        if (step == "Decided")
        {
            await inner.RecordCommitAsync(decision, cancellationToken);
        }

        Console.WriteLine("STEP " + step);
        await Task.Delay(Timeout.Infinite, CancellationToken.None);
    }

    public ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken) => inner.ForgetAsync(transactionId, cancellationToken);

    public ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken) => inner.ReadCommittedAsync(cancellationToken);
}
