using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataPatterns.EntityFrameworkCore.Tests.Sharding;

/// <summary>An order, sharded by its customer.</summary>
public sealed class ShardOrder
{
    public long Id { get; set; }

    public long CustomerId { get; set; }

    public int Amount { get; set; }

    public string Note { get; set; } = "";
}

/// <summary>The context the sharding tests migrate, write and query on every shard.</summary>
public sealed class ShardOrdersContext(DbContextOptions<ShardOrdersContext> options) : DbContext(options)
{
    public const string CreateOrders = "20261204000001_CreateOrders";
    public const string AddNote = "20261204000002_AddNote";

    public DbSet<ShardOrder> Orders => Set<ShardOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ShardOrder>(order =>
        {
            order.ToTable("orders");
            order.HasKey(o => o.Id);
            order.Property(o => o.Id).HasColumnName("id").ValueGeneratedNever();
            order.Property(o => o.CustomerId).HasColumnName("customer_id");
            order.Property(o => o.Amount).HasColumnName("amount");
            order.Property(o => o.Note).HasColumnName("note");
            order.HasIndex(o => o.CustomerId).HasDatabaseName("ix_orders_customer_id");
        });
    }
}

/// <summary>The first migration, written by hand (no design-time tooling here): the orders table.</summary>
[DbContext(typeof(ShardOrdersContext))]
[Migration(ShardOrdersContext.CreateOrders)]
public sealed class CreateOrdersMigration : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "orders",
            columns: table => new
            {
                id = table.Column<long>(type: "bigint", nullable: false),
                customer_id = table.Column<long>(type: "bigint", nullable: false),
                amount = table.Column<int>(type: "integer", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_orders", x => x.id));
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable(name: "orders");
}

/// <summary>The second migration: a note column and the customer index.</summary>
[DbContext(typeof(ShardOrdersContext))]
[Migration(ShardOrdersContext.AddNote)]
public sealed class AddNoteMigration : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "note", table: "orders", type: "text", nullable: false, defaultValue: "");
        migrationBuilder.CreateIndex(name: "ix_orders_customer_id", table: "orders", column: "customer_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "ix_orders_customer_id", table: "orders");
        migrationBuilder.DropColumn(name: "note", table: "orders");
    }
}
