using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Tests.QueryCaching;

/// <summary>One instance, real PostgreSQL and Redis: hits, keys by parameter, invalidation by the tables a save wrote.</summary>
public sealed class QueryCacheTests : IAsyncLifetime
{
    private Setup? _setup;

    private CacheInstance Instance => _setup!.Instance;

    public async Task InitializeAsync()
    {
        var database = await ShopDatabase.CreateAsync("qcache");
        _setup = new Setup(database, new CacheInstance(CacheInstance.NewApplication(), database.ConnectionString, TestServers.Redis.ConnectionString));
    }

    public async Task DisposeAsync()
    {
        await _setup!.Instance.DisposeAsync();
        await _setup.Database.DisposeAsync();
    }

    // Disposed by DisposeAsync (xunit's lifetime), which the analyzer does not see through a holder.
    private sealed record Setup(TemporaryDatabase Database, CacheInstance Instance);

    [Fact]
    public async Task Second_read_of_a_query_is_a_hit_and_returns_detached_rows()
    {
        var first = await Instance.OrdersOfAsync(1);
        var reads = Instance.Counter.Count;

        var second = await Instance.OrdersOfAsync(1);

        Assert.Equal(reads, Instance.Counter.Count);
        Assert.Equal(10m, Assert.Single(second).Total);
        Assert.Same(first, second); // the memory level's copy
        var tracked = await Instance.WithContextAsync(async db =>
        {
            await db.Orders.Where(o => o.CustomerId == 1).ToCachedListAsync(db);
            return db.ChangeTracker.Entries().Count();
        });
        Assert.Equal(0, tracked);
    }

    [Fact]
    public async Task A_different_parameter_value_is_a_different_entry()
    {
        Assert.Equal(1, Assert.Single(await Instance.OrdersOfAsync(1)).Id);
        var reads = Instance.Counter.Count;

        Assert.Equal(2, Assert.Single(await Instance.OrdersOfAsync(2)).Id);
        Assert.Equal(reads + 1, Instance.Counter.Count);
    }

    [Fact]
    public async Task SaveChanges_on_the_table_makes_the_next_read_reload()
    {
        await Instance.OrdersOfAsync(1);

        await Instance.WithContextAsync(async db =>
        {
            db.Orders.Add(new Order { Id = 100, CustomerId = 1, Total = 5m });
            await db.SaveChangesAsync();
        });

        Assert.Equal([1, 100], (await Instance.OrdersOfAsync(1)).Select(o => o.Id));
    }

    [Fact]
    public async Task SaveChanges_on_an_unrelated_table_keeps_the_entry()
    {
        await Instance.OrdersOfAsync(1);
        var reads = Instance.Counter.Count;

        await Instance.WithContextAsync(async db =>
        {
            db.Notes.Add(new Note { Id = 100, Text = "unrelated" });
            await db.SaveChangesAsync();
        });

        await Instance.OrdersOfAsync(1);
        Assert.Equal(reads, Instance.Counter.Count);
    }

    [Fact]
    public async Task Include_tags_the_included_table()
    {
        Task<IReadOnlyList<Order>> WithLinesAsync() => Instance.WithContextAsync(db =>
            db.Orders.Include(o => o.Lines).Where(o => o.Id == 1).ToCachedListAsync(db).AsTask());
        Assert.Equal("pen", Assert.Single(Assert.Single(await WithLinesAsync()).Lines).Product);

        await Instance.WithContextAsync(async db =>
        {
            db.OrderLines.Add(new OrderLine { Id = 100, OrderId = 1, Product = "paper" });
            await db.SaveChangesAsync();
        });

        Assert.Equal(["pen", "paper"], Assert.Single(await WithLinesAsync()).Lines.Select(l => l.Product).Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public async Task A_join_through_a_navigation_tags_both_tables()
    {
        Task<IReadOnlyList<string>> ProductsAsync() => Instance.WithContextAsync(db =>
            db.Orders.Where(o => o.CustomerId == 1).SelectMany(o => o.Lines).Select(l => l.Product).ToCachedListAsync(db).AsTask());
        Assert.Equal(["pen"], await ProductsAsync());

        await Instance.WithContextAsync(async db =>
        {
            (await db.OrderLines.SingleAsync(l => l.Id == 1)).Product = "pencil";
            await db.SaveChangesAsync();
        });

        Assert.Equal(["pencil"], await ProductsAsync());
    }

    [Fact]
    public async Task A_change_to_an_owned_value_invalidates_its_owners_queries()
    {
        Task<IReadOnlyList<Customer>> LondonersAsync() => Instance.WithContextAsync(db =>
            db.Customers.Where(c => c.Address.City == "London").ToCachedListAsync(db).AsTask());
        Assert.Equal("Ada", Assert.Single(await LondonersAsync()).Name);

        await Instance.WithContextAsync(async db =>
        {
            (await db.Customers.SingleAsync(c => c.Id == 2)).Address.City = "London";
            await db.SaveChangesAsync();
        });

        Assert.Equal(2, (await LondonersAsync()).Count);
    }

    [Fact]
    public async Task A_saved_derived_entity_invalidates_queries_on_the_base_type()
    {
        Task<IReadOnlyList<Payment>> PaymentsAsync() => Instance.WithContextAsync(db => db.Payments.OrderBy(p => p.Id).ToCachedListAsync(db).AsTask());
        Assert.Empty(await PaymentsAsync());

        await Instance.WithContextAsync(async db =>
        {
            db.Payments.Add(new CardPayment { Id = 100, Amount = 3m, Card = "visa" });
            await db.SaveChangesAsync();
        });

        Assert.Equal(100, Assert.Single(await PaymentsAsync()).Id);
    }

    [Fact]
    public async Task Inside_a_transaction_changes_are_invalidated_at_commit_and_queries_bypass_the_cache()
    {
        await Instance.OrdersOfAsync(1);
        await Instance.WithContextAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Orders.Add(new Order { Id = 101, CustomerId = 1, Total = 1m });
            await db.SaveChangesAsync();

            // The transaction's own uncommitted row: answered by the database, never cached.
            Assert.Equal(2, (await db.Orders.Where(o => o.CustomerId == 1).ToCachedListAsync(db)).Count);
            Assert.Single(await Instance.OrdersOfAsync(1)); // other requests: still the committed state

            await transaction.CommitAsync();
        });

        Assert.Equal([1, 101], (await Instance.OrdersOfAsync(1)).Select(o => o.Id));
    }

    [Fact]
    public async Task A_rolled_back_transaction_invalidates_nothing()
    {
        await Instance.OrdersOfAsync(1);
        await Instance.WithContextAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Orders.Add(new Order { Id = 102, CustomerId = 1, Total = 1m });
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        });
        var reads = Instance.Counter.Count;

        Assert.Single(await Instance.OrdersOfAsync(1));
        Assert.Equal(reads, Instance.Counter.Count);
    }

    [Fact]
    public async Task ExecuteUpdate_invalidates_its_table()
    {
        await Instance.OrdersOfAsync(1);
        await Instance.WithContextAsync(db => db.Orders.Where(o => o.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(o => o.Total, 11m)));

        Assert.Equal(11m, Assert.Single(await Instance.OrdersOfAsync(1)).Total);
    }

    [Fact]
    public async Task ExecuteDelete_invalidates_its_table_and_leaves_others()
    {
        await Instance.WithContextAsync(async db =>
        {
            db.Orders.Add(new Order { Id = 104, CustomerId = 1, Total = 1m });
            await db.SaveChangesAsync();
        });
        await Instance.OrdersOfAsync(1);
        Task<int> NotesAsync() => Instance.WithContextAsync(async db => (await db.Notes.Where(n => n.Id > 0).ToCachedListAsync(db)).Count);
        await NotesAsync();
        var reads = Instance.Counter.Count;

        await Instance.WithContextAsync(db => db.Orders.Where(o => o.Id == 104).ExecuteDeleteAsync());

        Assert.Single(await Instance.OrdersOfAsync(1));
        await NotesAsync();
        Assert.Equal(reads + 1, Instance.Counter.Count); // the orders reloaded, the notes did not
    }

    [Fact]
    public async Task Raw_SQL_writes_invalidate_their_table_and_after_a_commit_only()
    {
        await Instance.OrdersOfAsync(1);
        await Instance.WithContextAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await db.Database.ExecuteSqlRawAsync("UPDATE \"Orders\" SET \"Total\" = 12 WHERE \"Id\" = 1");
            Assert.Equal(10m, Assert.Single(await Instance.OrdersOfAsync(1)).Total); // not committed: the cached committed value stands
            await transaction.CommitAsync();
        });

        Assert.Equal(12m, Assert.Single(await Instance.OrdersOfAsync(1)).Total);
    }

    [Fact]
    public async Task A_raw_write_to_a_table_outside_the_model_invalidates_every_table()
    {
        await Instance.OrdersOfAsync(1);
        var reads = Instance.Counter.Count;
        await Instance.WithContextAsync(async db =>
        {
            await db.Database.ExecuteSqlRawAsync("CREATE TABLE audit (id int)");
            await db.Database.ExecuteSqlRawAsync("INSERT INTO audit VALUES (1)");
        });

        await Instance.OrdersOfAsync(1);
        Assert.Equal(reads + 1, Instance.Counter.Count);
    }

    [Fact]
    public async Task InvalidateCachedTablesAsync_invalidates_the_named_table()
    {
        await Instance.OrdersOfAsync(1);
        var reads = Instance.Counter.Count;

        await Instance.WithContextAsync(db => db.InvalidateCachedTablesAsync(["Orders"]).AsTask());

        await Instance.OrdersOfAsync(1);
        Assert.Equal(reads + 1, Instance.Counter.Count);
    }

    [Fact]
    public async Task Many_concurrent_misses_of_one_query_send_one_query_to_the_database()
    {
        var reads = Instance.Counter.Count;

        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => Instance.OrdersOfAsync(2))));

        Assert.All(results, r => Assert.Equal(2, Assert.Single(r).Id));
        Assert.Equal(reads + 1, Instance.Counter.Count);
    }

    [Fact]
    public async Task Synchronous_SaveChanges_invalidates_too()
    {
        await Instance.OrdersOfAsync(1);
        await Instance.WithContextAsync(db =>
        {
            db.Orders.Add(new Order { Id = 103, CustomerId = 1, Total = 1m });
            db.SaveChanges();
            return Task.CompletedTask;
        });

        Assert.Equal(2, (await Instance.OrdersOfAsync(1)).Count);
    }

    [Fact]
    public async Task FirstOrDefaultCachedAsync_is_keyed_apart_from_the_list()
    {
        var first = await Instance.WithContextAsync(db => db.Orders.Where(o => o.CustomerId == 2).FirstOrDefaultCachedAsync(db).AsTask());
        var none = await Instance.WithContextAsync(db => db.Orders.Where(o => o.CustomerId == 99).FirstOrDefaultCachedAsync(db).AsTask());

        Assert.Equal(2, first!.Id);
        Assert.Null(none);
        Assert.Single(await Instance.OrdersOfAsync(2));
    }
}
