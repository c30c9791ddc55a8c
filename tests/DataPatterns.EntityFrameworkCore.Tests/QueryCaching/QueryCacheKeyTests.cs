using DataPatterns.EntityFrameworkCore.QueryCaching;
using FsCheck.Xunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.EntityFrameworkCore.Tests.QueryCaching;

/// <summary>
/// Keys: two queries share a key exactly when their shape and every parameter value are equal, the same in every
/// process; no user value appears in a key. No server is needed: the key is computed before anything is read.
/// </summary>
public sealed class QueryCacheKeyTests : IDisposable
{
    private const string Connection = "Host=127.0.0.1;Port=55432;Username=postgres;Database=keys_only";
    private readonly Keyer _first = new();
    private readonly Keyer _second = new(); // another "process": its own services, model and cache

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
    }

    [Property(MaxTest = 300)]
    public void Keys_are_equal_exactly_when_the_parameter_values_are_equal(int customer1, string? name1, int customer2, string? name2, bool sameValues)
    {
        if (sameValues)
        {
            (customer2, name2) = (customer1, name1);
        }

        var key1 = _first.KeyOf(db => Query(db, customer1, name1));
        var key2 = _first.KeyOf(db => Query(db, customer2, name2));

        Assert.Equal(customer1 == customer2 && name1 == name2, key1 == key2);
        Assert.Equal(key1, _second.KeyOf(db => Query(db, customer1, name1))); // the same in another process
        Assert.Matches("^efq:[0-9a-f]{32}$", key1); // hashed: no user value reaches the key
    }

    [Property(MaxTest = 200)]
    public void Keys_of_captured_lists_are_equal_exactly_when_the_lists_are_equal(int[] ids1, int[] ids2, bool sameValues)
    {
        ids1 ??= [];
        ids2 = sameValues ? [.. ids1] : ids2 ?? [];

        var key1 = _first.KeyOf(db => db.Orders.Where(o => ids1.Contains(o.Id)));
        var key2 = _second.KeyOf(db => db.Orders.Where(o => ids2.Contains(o.Id)));

        Assert.Equal(ids1.SequenceEqual(ids2), key1 == key2);
    }

    [Property(MaxTest = 100)]
    public void Queries_of_different_shapes_never_share_a_key(int value)
    {
        var keys = new[]
        {
            _first.KeyOf(db => db.Orders.Where(o => o.CustomerId == value)),
            _first.KeyOf(db => db.Orders.Where(o => o.Id == value)),
            _first.KeyOf(db => db.Orders.Where(o => o.CustomerId != value)),
            _first.KeyOf(db => db.Orders.Where(o => o.CustomerId == value).OrderBy(o => o.Id)),
            _first.KeyOf(db => db.Orders.Where(o => o.CustomerId == value).OrderByDescending(o => o.Id)),
            _first.KeyOf(db => db.Orders.Where(o => o.CustomerId == value).Include(o => o.Lines)),
            _first.KeyOf(db => db.Orders.Where(o => o.CustomerId == value).Take(1)),
            _first.KeyOf(db => db.Payments.Where(o => o.Id == value)),
            _first.KeyOf(db => db.Payments.OfType<CardPayment>().Where(o => o.Id == value)),
            _first.KeyOf(db => db.Orders.Where(o => o.CustomerId == value).Select(o => new Order { Id = o.Id })),
            _first.KeyOf(db => db.Orders.Where(o => o.CustomerId == value).Select(o => new Order { CustomerId = o.Id })),
        };

        Assert.Equal(keys.Length, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void The_same_query_on_another_database_has_another_key()
    {
        using var other = new Keyer(Connection.Replace("keys_only", "keys_other", StringComparison.Ordinal));
        const int customer = 7;

        Assert.NotEqual(_first.KeyOf(db => db.Orders.Where(o => o.CustomerId == customer)), other.KeyOf(db => db.Orders.Where(o => o.CustomerId == customer)));
    }

    [Fact]
    public void Tags_are_the_tables_the_query_reads()
    {
        Assert.Equal(["efcore-table:Orders"], _first.TagsOf(db => db.Orders.Where(o => o.Id == 1)));
        Assert.Equal(["efcore-table:OrderLines", "efcore-table:Orders"], _first.TagsOf(db => db.Orders.Include(o => o.Lines)));
        Assert.Equal(["efcore-table:OrderLines", "efcore-table:Orders"], _first.TagsOf(db => db.Orders.Include("Lines")));
        Assert.Equal(["efcore-table:OrderLines", "efcore-table:Orders"], _first.TagsOf(db => db.Orders.SelectMany(o => o.Lines)));
        Assert.Equal(["efcore-table:Customers"], _first.TagsOf(db => db.Customers)); // the owned address lives in the same table
        Assert.Equal(["efcore-table:misc.notes"], _first.TagsOf(db => db.Notes));
        Assert.Equal(["efcore-table:Payments"], _first.TagsOf(db => db.Payments.OfType<CardPayment>()));
        Assert.Equal(["efcore-table:Customers", "efcore-table:Orders"], _first.TagsOf(db => db.Orders.Where(o => db.Customers.Any(c => c.Id == o.CustomerId))));
    }

    [Fact]
    public void An_include_path_that_names_no_navigation_tags_every_table()
    {
        Assert.Equal(5, _first.TagsOf(db => db.Orders.Include("NoSuchNavigation")).Length);
    }

    /// <summary>A query cache and a context over the shop model, without a database connection.</summary>
    private sealed class Keyer : IDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly IServiceScope _scope;

        public Keyer(string connection = Connection)
        {
            var services = new ServiceCollection();
            services.AddCaching().AddHybridCache();
            services.AddEntityFrameworkQueryCache();
            services.AddDbContext<ShopContext>((sp, o) => o.UseNpgsql(connection).UseQueryCache(sp));
            _provider = services.BuildServiceProvider();
            _scope = _provider.CreateScope();
            Context = _scope.ServiceProvider.GetRequiredService<ShopContext>();
            Cache = _provider.GetRequiredService<QueryCache>();
        }

        public ShopContext Context { get; }

        public QueryCache Cache { get; }

        public string KeyOf<T>(Func<ShopContext, IQueryable<T>> query) => Cache.Describe(Context, query(Context).Expression, "list", typeof(T)).Key;

        public string[] TagsOf<T>(Func<ShopContext, IQueryable<T>> query) => Cache.Describe(Context, query(Context).Expression, "list", typeof(T)).Tags;

        public void Dispose()
        {
            _scope.Dispose();
            _provider.Dispose();
        }
    }

    private static IQueryable<Customer> Query(ShopContext db, int customer, string? name) =>
        db.Customers.Where(c => c.Id == customer && c.Name == name);
}
