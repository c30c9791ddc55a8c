using BenchmarkDotNet.Attributes;
using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Benchmarks.EntityFrameworkCore;

/// <summary>
/// One EF Core query (10 rows of one customer) run against PostgreSQL through EF Core, no tracking (the baseline),
/// against a hit of the second-level query cache in memory (L1) and a hit in Redis alone (L2, memory level off).
/// Servers: DATAPATTERNS_PG_PRIMARY, DATAPATTERNS_REDIS.
/// </summary>
[MemoryDiagnoser]
public class EfCoreQueryCacheBenchmarks
{
    private TemporaryDatabase _database = null!;
    private ServiceProvider _memory = null!;
    private ServiceProvider _redisOnly = null!;
    private AsyncServiceScope _memoryScope;
    private AsyncServiceScope _redisScope;
    private BenchShopContext _memoryDb = null!;
    private BenchShopContext _redisDb = null!;
    private int _customer = 7;

    private static string RedisConfiguration =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") is { Length: > 0 } redis ? redis : "127.0.0.1:56379";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "bench_qcache");
        await using (var db = new BenchShopContext(new DbContextOptionsBuilder<BenchShopContext>().UseNpgsql(_database.ConnectionString).Options))
        {
            await db.Database.EnsureCreatedAsync();
            db.Orders.AddRange(Enumerable.Range(1, 1000).Select(i => new BenchOrder { Id = i, CustomerId = i % 100, Total = i, Note = "order " + i }));
            await db.SaveChangesAsync();
        }

        var application = "bench-efq-" + Guid.NewGuid().ToString("N")[..8];
        (_memory, _memoryScope, _memoryDb) = Build(application, memory: true);
        (_redisOnly, _redisScope, _redisDb) = Build(application + "-l2", memory: false);
        await Database();
        await MemoryHit();
        await RedisHit();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _memoryScope.DisposeAsync();
        await _redisScope.DisposeAsync();
        await _memory.DisposeAsync();
        await _redisOnly.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "EF Core ToListAsync, PostgreSQL (no tracking)")]
    public async Task<int> Database()
    {
        var customer = _customer;
        return (await _memoryDb.Orders.Where(o => o.CustomerId == customer).AsNoTracking().ToListAsync()).Count;
    }

    [Benchmark(Description = "ToCachedListAsync, memory hit (L1)")]
    public async Task<int> MemoryHit()
    {
        var customer = _customer;
        return (await _memoryDb.Orders.Where(o => o.CustomerId == customer).ToCachedListAsync(_memoryDb)).Count;
    }

    [Benchmark(Description = "ToCachedListAsync, Redis hit (L2 only)")]
    public async Task<int> RedisHit()
    {
        var customer = _customer;
        return (await _redisDb.Orders.Where(o => o.CustomerId == customer).ToCachedListAsync(_redisDb)).Count;
    }

    private (ServiceProvider, AsyncServiceScope, BenchShopContext) Build(string application, bool memory)
    {
        var services = new ServiceCollection();
        services.AddCaching(c => c.Configure(o => o.ApplicationName = application))
            .UseRedis(o => o.Configuration = RedisConfiguration)
            .AddHybridCache(o =>
            {
                o.Memory.Enabled = memory;
                o.Expiration.Duration = TimeSpan.FromHours(1);
            });
        services.AddEntityFrameworkQueryCache(o => o.DefaultExpiration = TimeSpan.FromHours(1));
        services.AddDbContext<BenchShopContext>((sp, o) => o.UseNpgsql(_database.ConnectionString).UseQueryCache(sp));
        var provider = services.BuildServiceProvider();
        var scope = provider.CreateAsyncScope();
        return (provider, scope, scope.ServiceProvider.GetRequiredService<BenchShopContext>());
    }
}

public sealed class BenchOrder
{
    public int Id { get; set; }

    public int CustomerId { get; set; }

    public decimal Total { get; set; }

    public string Note { get; set; } = "";
}

public sealed class BenchShopContext(DbContextOptions<BenchShopContext> options) : DbContext(options)
{
    public DbSet<BenchOrder> Orders => Set<BenchOrder>();
}
