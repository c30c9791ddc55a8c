using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DataPatterns.Benchmarks.Transactions;
using DataPatterns.Caching;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.Benchmarks.Caching;

/// <summary>
/// 100 keys read with one GetOrLoadManyAsync against 100 GetOrLoadAsync calls one after another (the baseline of each
/// category): from a real Redis L2 (memory level off, every key stored), and from PostgreSQL through the loaders (a
/// memory-only cache cleared first, so every read loads: one <c>WHERE id = ANY(@ids)</c> against one <c>WHERE id = @id</c> per key).
/// Servers: DATAPATTERNS_REDIS and DATAPATTERNS_PG_PRIMARY (eng/services.sh up).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class BatchLoadBenchmarks
{
    private const int Keys = 100;
    private readonly int[] _keys = Enumerable.Range(1, Keys).ToArray();
    private ServiceProvider _provider = null!;
    private ICache<int, BenchProduct> _redisCache = null!;
    private ICache<int, BenchProduct> _databaseCache = null!;
    private NpgsqlDataSource _dataSource = null!;

    private static string RedisConfiguration =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") is { Length: > 0 } redis ? redis : "127.0.0.1:56379";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await BenchDatabases.CreateAsync(BenchDatabases.Primary));
        await using (var create = _dataSource.CreateCommand(
            "CREATE TABLE IF NOT EXISTS products (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL); " +
            "INSERT INTO products SELECT i, 'product ' || i, i * 1.5 FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var services = new ServiceCollection();
        services.AddSingleton(_dataSource);
        services.AddCaching(c => c.Configure(o => o.ApplicationName = "bench-" + Guid.NewGuid().ToString("N")[..8]))
            .UseRedis(o => o.Configuration = RedisConfiguration)
            .AddCache<int, BenchProduct>("redis", o =>
            {
                o.Memory.Enabled = false;
                o.Expiration.Duration = TimeSpan.FromHours(1);
            })
            .WithLoader<ProductLoader>()
            .WithBatchLoader<ProductLoader>()
            .AddCache<int, BenchProduct>("database", o => o.Distributed.Enabled = false)
            .WithLoader<ProductLoader>()
            .WithBatchLoader<ProductLoader>();
        _provider = services.BuildServiceProvider();
        _redisCache = _provider.GetRequiredKeyedService<ICache<int, BenchProduct>>("redis");
        _databaseCache = _provider.GetRequiredKeyedService<ICache<int, BenchProduct>>("database");
        await _redisCache.GetOrLoadManyAsync(_keys); // every key stored in Redis
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "100 × GetOrLoadAsync (Redis L2 hits)")]
    [BenchmarkCategory("Redis L2")]
    public async Task<int> SinglesFromRedis() => await SinglesAsync(_redisCache);

    [Benchmark(Description = "GetOrLoadManyAsync(100) (Redis L2 hits)")]
    [BenchmarkCategory("Redis L2")]
    public async Task<int> BatchFromRedis() => (await _redisCache.GetOrLoadManyAsync(_keys)).Count;

    [Benchmark(Baseline = true, Description = "100 × GetOrLoadAsync (PostgreSQL loads)")]
    [BenchmarkCategory("PostgreSQL")]
    public async Task<int> SinglesFromDatabase()
    {
        await _databaseCache.ClearAsync(); // memory only: every key is a miss again
        return await SinglesAsync(_databaseCache);
    }

    [Benchmark(Description = "GetOrLoadManyAsync(100) (PostgreSQL loads)")]
    [BenchmarkCategory("PostgreSQL")]
    public async Task<int> BatchFromDatabase()
    {
        await _databaseCache.ClearAsync();
        return (await _databaseCache.GetOrLoadManyAsync(_keys)).Count;
    }

    private async Task<int> SinglesAsync(ICache<int, BenchProduct> cache)
    {
        var found = 0;
        foreach (var key in _keys)
        {
            found += await cache.GetOrLoadAsync(key) is null ? 0 : 1;
        }

        return found;
    }

    /// <summary>The application's repository: one row by id, or many with one query.</summary>
    private sealed class ProductLoader(NpgsqlDataSource dataSource) : ICacheLoader<int, BenchProduct>, ICacheBatchLoader<int, BenchProduct>
    {
        public async ValueTask<BenchProduct?> LoadAsync(int key, CancellationToken cancellationToken)
        {
            await using var command = dataSource.CreateCommand("SELECT id, name, price FROM products WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = key });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? new BenchProduct(reader.GetInt32(0), reader.GetString(1), reader.GetDecimal(2)) : null;
        }

        public async ValueTask<IReadOnlyDictionary<int, BenchProduct>> LoadManyAsync(IReadOnlyList<int> keys, CancellationToken cancellationToken)
        {
            await using var command = dataSource.CreateCommand("SELECT id, name, price FROM products WHERE id = ANY($1)");
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. keys] });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var products = new Dictionary<int, BenchProduct>(keys.Count);
            while (await reader.ReadAsync(cancellationToken))
            {
                products[reader.GetInt32(0)] = new BenchProduct(reader.GetInt32(0), reader.GetString(1), reader.GetDecimal(2));
            }

            return products;
        }
    }
}
