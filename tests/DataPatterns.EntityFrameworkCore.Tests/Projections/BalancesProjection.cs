using System.Globalization;
using DataPatterns.Cqrs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace DataPatterns.EntityFrameworkCore.Tests.Projections;

public sealed class Balance
{
    public string Account { get; set; } = string.Empty;

    public long Total { get; set; }

    public int Deposits { get; set; }
}

public sealed class BalancesContext(DbContextOptions<BalancesContext> options) : DbContext(options)
{
    public DbSet<Balance> Balances => Set<Balance>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Balance>(b =>
        {
            b.ToTable("balances");
            b.HasKey(x => x.Account);
            b.Property(x => x.Account).HasColumnName("account");
            b.Property(x => x.Total).HasColumnName("total");
            b.Property(x => x.Deposits).HasColumnName("deposits");
        });
}

public sealed class SchemaBalancesContext(DbContextOptions<SchemaBalancesContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Balance>(b =>
        {
            b.ToTable("balances", "reporting");
            b.HasKey(x => x.Account);
        });
}

/// <summary>Sums deposits per account through EF Core; <see cref="AfterSave"/> lets a test break the batch after the save.</summary>
public sealed class BalancesProjection(IDbContextFactory<BalancesContext> contexts, string name = "efbalances") : DbContextProjection<BalancesContext>(contexts)
{
    public const string Deposited = "deposited";

    public Func<BalancesContext, CancellationToken, Task>? AfterSave { get; set; }

    public override string Name => name;

    public override IReadOnlyCollection<string> EventTypes { get; } = [Deposited];

    public static IDbContextFactory<BalancesContext> Factory() =>
        new PooledDbContextFactory<BalancesContext>(new DbContextOptionsBuilder<BalancesContext>().UseNpgsql().Options);

    protected override async ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, BalancesContext readModel, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            var balance = await readModel.Balances.FindAsync([e.StreamId], cancellationToken);
            if (balance is null)
            {
                balance = new Balance { Account = e.StreamId };
                readModel.Balances.Add(balance);
            }

            balance.Total += long.Parse(e.Payload, CultureInfo.InvariantCulture);
            balance.Deposits++;
        }

        if (AfterSave is { } after)
        {
            await readModel.SaveChangesAsync(cancellationToken);
            await after(readModel, cancellationToken);
        }
    }
}

public sealed class SchemaProjection(IDbContextFactory<SchemaBalancesContext> contexts) : DbContextProjection<SchemaBalancesContext>(contexts)
{
    public override string Name => "efschema";

    public override IReadOnlyCollection<string> EventTypes { get; } = ["deposited"];

    public static IDbContextFactory<SchemaBalancesContext> Factory() =>
        new PooledDbContextFactory<SchemaBalancesContext>(new DbContextOptionsBuilder<SchemaBalancesContext>().UseNpgsql().Options);

    protected override ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, SchemaBalancesContext readModel, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;
}
