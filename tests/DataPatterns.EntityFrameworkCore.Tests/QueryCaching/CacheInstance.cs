using DataPatterns.EntityFrameworkCore.QueryCaching;
using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.EntityFrameworkCore.Tests.QueryCaching;

/// <summary>
/// One "process" of the application: its own service provider (memory level, Redis connection, backplane subscription,
/// query cache), sharing Redis and the database with the other instances made with the same application name.
/// </summary>
public sealed class CacheInstance : IAsyncDisposable
{
    public const string ShortTimeouts = ",connectTimeout=2000,asyncTimeout=2000,syncTimeout=2000,connectRetry=1";

    private readonly ServiceProvider _provider;

    public CacheInstance(string application, string connectionString, string? redis = null, bool memory = true, Action<QueryCacheOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var caching = services.AddCaching(c => c.Configure(o => o.ApplicationName = application));
        if (redis is not null)
        {
            caching.UseRedis(o => o.Configuration = redis + ShortTimeouts);
        }

        caching.AddHybridCache(o =>
        {
            o.Distributed.Timeout = TimeSpan.FromSeconds(2);
            o.Memory.Enabled = memory;
        });
        services.AddEntityFrameworkQueryCache(o =>
        {
            o.ReinvalidateAfter = TimeSpan.Zero;
            configure?.Invoke(o);
        });
        services.AddSingleton<QueryCounter>();
        services.AddDbContext<ShopContext>((sp, o) => o.UseNpgsql(connectionString).UseQueryCache(sp).AddInterceptors(sp.GetRequiredService<QueryCounter>()));
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Counter = _provider.GetRequiredService<QueryCounter>();
        Cache = _provider.GetRequiredService<QueryCache>();
    }

    public QueryCounter Counter { get; }

    public QueryCache Cache { get; }

    public static string NewApplication() => "efq-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Runs <paramref name="work"/> with a fresh context, as one request would.</summary>
    public async Task<T> WithContextAsync<T>(Func<ShopContext, Task<T>> work)
    {
        await using var scope = _provider.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<ShopContext>());
    }

    public Task WithContextAsync(Func<ShopContext, Task> work) => WithContextAsync(async db =>
    {
        await work(db);
        return true;
    });

    public Task<IReadOnlyList<Order>> OrdersOfAsync(int customerId) =>
        WithContextAsync(db => db.Orders.Where(o => o.CustomerId == customerId).OrderBy(o => o.Id).ToCachedListAsync(db).AsTask());

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}

/// <summary>A database of its own for a test, with the shop's tables.</summary>
public static class ShopDatabase
{
    public static async Task<TemporaryDatabase> CreateAsync(string purpose)
    {
        var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, purpose);
        var options = new DbContextOptionsBuilder<ShopContext>().UseNpgsql(database.ConnectionString).Options;
        await using var db = new ShopContext(options);
        await db.Database.EnsureCreatedAsync();
        db.Customers.AddRange(new Customer { Id = 1, Name = "Ada", Address = new Address { City = "London" } }, new Customer { Id = 2, Name = "Bo", Address = new Address { City = "Oslo" } });
        db.Orders.AddRange(
            new Order { Id = 1, CustomerId = 1, Total = 10m, Lines = [new OrderLine { Id = 1, Product = "pen" }] },
            new Order { Id = 2, CustomerId = 2, Total = 20m, Lines = [new OrderLine { Id = 2, Product = "ink" }] });
        db.Notes.Add(new Note { Id = 1, Text = "hello" });
        await db.SaveChangesAsync();
        return database;
    }
}
