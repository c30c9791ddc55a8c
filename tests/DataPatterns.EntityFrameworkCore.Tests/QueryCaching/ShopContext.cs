using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace DataPatterns.EntityFrameworkCore.Tests.QueryCaching;

public sealed class Customer
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public Address Address { get; set; } = new();
}

public sealed class Address
{
    public string City { get; set; } = "";
}

public sealed class Order
{
    public int Id { get; set; }

    public int CustomerId { get; set; }

    public decimal Total { get; set; }

    public List<OrderLine> Lines { get; set; } = [];
}

public sealed class OrderLine
{
    public int Id { get; set; }

    public int OrderId { get; set; }

    public string Product { get; set; } = "";
}

public class Payment
{
    public int Id { get; set; }

    public decimal Amount { get; set; }
}

public sealed class CardPayment : Payment
{
    public string Card { get; set; } = "";
}

public sealed class Note
{
    public int Id { get; set; }

    public string Text { get; set; } = "";
}

/// <summary>A small shop: owned type (same table), one-to-many (Include), TPH hierarchy, an unrelated table.</summary>
public sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
{
    public DbSet<Customer> Customers => Set<Customer>();

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<OrderLine> OrderLines => Set<OrderLine>();

    public DbSet<Payment> Payments => Set<Payment>();

    public DbSet<Note> Notes => Set<Note>();

    public int TenantId { get; set; }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Customer>().OwnsOne(c => c.Address);
        modelBuilder.Entity<CardPayment>();
        modelBuilder.Entity<Note>().ToTable("notes", "misc");
    }
}

/// <summary>A context whose query filter reads its own state (a tenant): not cacheable without IgnoreQueryFilters.</summary>
public sealed class TenantContext(DbContextOptions<TenantContext> options) : DbContext(options)
{
    public int TenantId { get; set; }

    public DbSet<Order> Orders => Set<Order>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Order>().HasQueryFilter(o => o.CustomerId == TenantId).Ignore(o => o.Lines);
}

/// <summary>Counts the reader commands a context sends: a cache hit sends none.</summary>
public sealed class QueryCounter : DbCommandInterceptor
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>When set, a reader waits here after the database answered (to hold a load in flight).</summary>
    public Func<Task>? AfterRead { get; set; }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (command.CommandText.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
        {
            Interlocked.Increment(ref _count);
            if (AfterRead is { } wait)
            {
                await wait().ConfigureAwait(false);
            }
        }

        return result;
    }
}
