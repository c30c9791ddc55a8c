using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DataPatterns.EntityFrameworkCore.Tests.Outbox;

public sealed class ShopOrder : IHasOutboxEvents
{
    private readonly List<OutboxMessage> _events = [];

    public string Id { get; set; } = string.Empty;

    public long Amount { get; set; }

    public IReadOnlyList<OutboxMessage> OutboxEvents => _events;

    public static ShopOrder Place(string id, long amount, string eventType = "order_placed", string? payload = null)
    {
        var order = new ShopOrder { Id = id, Amount = amount };
        order._events.Add(new OutboxMessage(id, eventType, payload ?? amount.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return order;
    }

    public void Raise(string eventType, string payload) => _events.Add(new OutboxMessage(Id, eventType, payload));

    public void RemoveOutboxEvents(int count) => _events.RemoveRange(0, count);
}

public sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
{
    public DbSet<ShopOrder> Orders => Set<ShopOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<ShopOrder>(o =>
        {
            o.ToTable("shop_orders");
            o.Property(x => x.Id).HasColumnName("id");
            o.Property(x => x.Amount).HasColumnName("amount");
            o.Ignore(x => x.OutboxEvents);
        });
}

/// <summary>A temporary database on the primary with the shop's table, the CQRS outbox and an event source over it.</summary>
public sealed class ShopDatabase : IAsyncDisposable
{
    private ShopDatabase(TemporaryDatabase database)
    {
        Database = database;
        DataSource = NpgsqlDataSource.Create(database.ConnectionString);
        Outbox = new NpgsqlOutbox(DataSource, Options);
        Source = new NpgsqlEventSource(DataSource, Options);
    }

    public TemporaryDatabase Database { get; }

    public NpgsqlCqrsOptions Options { get; } = new();

    public NpgsqlDataSource DataSource { get; }

    public NpgsqlOutbox Outbox { get; }

    public NpgsqlEventSource Source { get; }

    public static async Task<ShopDatabase> CreateAsync(string purpose)
    {
        var shop = new ShopDatabase(await TemporaryDatabase.CreateAsync(TestServers.Primary, purpose));
        await shop.Outbox.EnsureCreatedAsync();
        await using var command = shop.DataSource.CreateCommand("CREATE TABLE shop_orders (id text PRIMARY KEY, amount bigint NOT NULL CHECK (amount >= 0))");
        await command.ExecuteNonQueryAsync();
        return shop;
    }

    public ShopContext Context(string? connectionString = null) =>
        new(new DbContextOptionsBuilder<ShopContext>().UseNpgsql(connectionString ?? Database.ConnectionString).UseTransactionalOutbox(Outbox).Options);

    /// <summary>The outbox rows as (stream, type, payload), in the event source's order.</summary>
    public async Task<List<(string Stream, string Type, string Payload)>> EventsAsync()
    {
        var all = new List<(string, string, string)>();
        var after = EventPosition.Start;
        while (true)
        {
            var batch = await Source.ReadAsync(after, 500, CancellationToken.None);
            if (batch.Events.Count == 0)
            {
                return all;
            }

            foreach (var e in batch.Events)
            {
                all.Add((e.StreamId, e.EventType, e.Payload));
                after = e.Position;
            }
        }
    }

    public async Task<Dictionary<string, long>> OrdersAsync()
    {
        var orders = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = DataSource.CreateCommand("SELECT id, amount FROM shop_orders");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            orders[reader.GetString(0)] = reader.GetInt64(1);
        }

        return orders;
    }

    public async ValueTask DisposeAsync()
    {
        await Source.DisposeAsync();
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
    }
}
