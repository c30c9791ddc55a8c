using BenchmarkDotNet.Attributes;
using DataPatterns.EntityFrameworkCore.Sharding;
using DataPatterns.Sharding;
using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.Benchmarks.Sharding;

/// <summary>
/// Page 3 (20 rows a page) of 30,000 orders by amount descending then id: one EF Core query on one server holding every
/// row (the baseline) against <c>QueryPageAsync</c> over three shards of 10,000 rows each (the primary, node2 and node3),
/// each shard asked for its first 60 rows and the lists merged. Both sides have the same (amount, id) index.
/// Servers: DATAPATTERNS_PG_PRIMARY, _NODE2, _NODE3 (eng/services.sh up).
/// </summary>
[MemoryDiagnoser]
public class ShardedTopNBenchmarks
{
    private const int Rows = 30_000;
    private static readonly ShardedOrder<BenchOrder> Order = ShardedOrder<BenchOrder>.ByDescending(o => o.Amount).ThenBy(o => o.Id);
    private readonly List<TemporaryDatabase> _databases = [];
    private ServiceProvider _provider = null!;
    private IShardedDbContextFactory<BenchOrdersContext> _factory = null!;
    private DbContextOptions<BenchOrdersContext> _single = null!;
    private NpgsqlDataSource _singleSource = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        foreach (var server in new[] { TestServers.Primary, TestServers.Node2, TestServers.Node3, TestServers.Primary })
        {
            _databases.Add(await TemporaryDatabase.CreateAsync(server, "bench_topn"));
        }

        var shards = _databases.Take(3).ToArray();
        var services = new ServiceCollection();
        services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("s0").AddShard("s1").AddShard("s2"))
            .MapTo((_, shard) => NpgsqlDataSource.Create(shards[shard.Index].ConnectionString))
            .AddShardedDbContextFactory<BenchOrdersContext, long>((sp, shard, options) =>
                options.UseNpgsql(sp.GetRequiredKeyedService<ShardMap<NpgsqlDataSource>>("orders")[shard])));
        _provider = services.BuildServiceProvider();
        _factory = _provider.GetRequiredService<IShardedDbContextFactory<BenchOrdersContext>>();
        _singleSource = NpgsqlDataSource.Create(_databases[3].ConnectionString);
        _single = new DbContextOptionsBuilder<BenchOrdersContext>().UseNpgsql(_singleSource).Options;

        var orders = Enumerable.Range(1, Rows).Select(i => new BenchOrder { Id = i, CustomerId = i, Amount = (i * 7_919) % 1_000 }).ToList();
        await using (var single = new BenchOrdersContext(_single))
        {
            await single.Database.EnsureCreatedAsync();
            single.Orders.AddRange(orders);
            await single.SaveChangesAsync();
        }

        foreach (var group in orders.GroupBy(o => _factory.ShardFor(o.CustomerId)))
        {
            await using var context = _factory.CreateForShard(group.Key);
            await context.Database.EnsureCreatedAsync();
            context.Orders.AddRange(group.Select(o => new BenchOrder { Id = o.Id, CustomerId = o.CustomerId, Amount = o.Amount }));
            await context.SaveChangesAsync();
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        await _singleSource.DisposeAsync();
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }

    [Benchmark(Baseline = true, Description = "one server, EF Core AsNoTracking Skip(40).Take(20)")]
    public async Task<int> OneServer()
    {
        await using var context = new BenchOrdersContext(_single);
        var page = await context.Orders.AsNoTracking().OrderByDescending(o => o.Amount).ThenBy(o => o.Id).Skip(40).Take(20).ToListAsync();
        return page.Count;
    }

    [Benchmark(Description = "3 shards, QueryPageAsync(skip 40, take 20)")]
    public async Task<int> ThreeShards()
    {
        var page = await _factory.QueryPageAsync(c => c.Orders, Order, 40, 20);
        return page.Rows.Count;
    }
}

public sealed class BenchOrder
{
    public long Id { get; set; }

    public long CustomerId { get; set; }

    public int Amount { get; set; }
}

public sealed class BenchOrdersContext(DbContextOptions<BenchOrdersContext> options) : DbContext(options)
{
    public DbSet<BenchOrder> Orders => Set<BenchOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<BenchOrder>(order =>
        {
            order.ToTable("bench_orders");
            order.Property(o => o.Id).ValueGeneratedNever();
            order.HasIndex(o => new { o.Amount, o.Id }).IsDescending(true, false);
        });
}
