using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DataPatterns.Caching;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.Benchmarks.Caching;

/// <summary>
/// 10,000 writes over 1,000 keys into PostgreSQL by 1 or 16 concurrent writers: write-through (one upsert per write,
/// the baseline) against write-back (cache + coalescing write-behind queue, flushed in batches; in memory and durable in
/// Redis). The memory level only, no backplane, so only the write strategy differs. Each operation includes the final
/// flush, so every last value is in the database when it ends. With one writer each write waits for the one before; with
/// 16 the durable queue's appends can share Redis round trips. Servers: DATAPATTERNS_PG_PRIMARY, DATAPATTERNS_REDIS.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(LongRunConfig))]
public class WriteStrategyBenchmarks
{
    private const int Writes = 10_000;
    private const int Keys = 1_000;
    private string _databaseName = null!;
    private string _adminConnectionString = null!;
    private NpgsqlDataSource _dataSource = null!;
    private ServiceProvider _provider = null!;
    private ICache<int, BenchProduct> _writeThrough = null!;
    private ICache<int, BenchProduct> _writeBack = null!;
    private ICache<int, BenchProduct> _durableWriteBack = null!;
    private int _round;

    [Params(1, 16)]
    public int Writers { get; set; }

    private static string PostgresConfiguration =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") is { Length: > 0 } pg ? pg : "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";

    private static string RedisConfiguration =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") is { Length: > 0 } redis ? redis : "127.0.0.1:56379";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _adminConnectionString = PostgresConfiguration;
        _databaseName = "dp_bench_caching_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_databaseName}", admin);
            await create.ExecuteNonQueryAsync();
        }

        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = _databaseName, MaxPoolSize = 32 }.ConnectionString);
        await using (var command = _dataSource.CreateCommand("CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL)"))
        {
            await command.ExecuteNonQueryAsync();
        }

        var services = new ServiceCollection();
        services.AddSingleton(_dataSource);
        var caching = services.AddCaching(c => c.Configure(o => o.ApplicationName = "bench-" + Guid.NewGuid().ToString("N")[..8]))
            .UseRedis(RedisConfiguration);
        caching.AddCache<int, BenchProduct>("write-through", o =>
            {
                o.WriteStrategy = CacheWriteStrategy.WriteThrough;
                o.Distributed.Enabled = false;
                o.UseBackplane = false;
            })
            .WithWriter(sp => new PostgresProductWriter(sp.GetRequiredService<NpgsqlDataSource>()));
        caching.AddCache<int, BenchProduct>("write-back", o =>
            {
                o.WriteStrategy = CacheWriteStrategy.WriteBack;
                o.Distributed.Enabled = false;
                o.UseBackplane = false;
                o.WriteBack.BatchSize = 1_000;
            })
            .WithWriter(sp => new PostgresProductWriter(sp.GetRequiredService<NpgsqlDataSource>()));
        caching.AddCache<int, BenchProduct>("durable-write-back", o =>
            {
                o.WriteStrategy = CacheWriteStrategy.WriteBack;
                o.WriteBack.Durable = true;
                o.Distributed.Enabled = false;
                o.UseBackplane = false;
                o.WriteBack.BatchSize = 1_000;
            })
            .WithWriter(sp => new PostgresProductWriter(sp.GetRequiredService<NpgsqlDataSource>()));
        _provider = services.BuildServiceProvider();
        _writeThrough = _provider.GetRequiredKeyedService<ICache<int, BenchProduct>>("write-through");
        _writeBack = _provider.GetRequiredKeyedService<ICache<int, BenchProduct>>("write-back");
        _durableWriteBack = _provider.GetRequiredKeyedService<ICache<int, BenchProduct>>("durable-write-back");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_databaseName} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    [Benchmark(Baseline = true, Description = "write-through, 10,000 writes / 1,000 keys")]
    public Task WriteThrough() => WriteAllAsync(_writeThrough);

    [Benchmark(Description = "write-back (memory queue) + flush")]
    public Task WriteBack() => WriteAllAsync(_writeBack);

    [Benchmark(Description = "write-back (durable, Redis stream) + flush")]
    public Task DurableWriteBack() => WriteAllAsync(_durableWriteBack);

    private async Task WriteAllAsync(ICache<int, BenchProduct> cache)
    {
        var round = Interlocked.Increment(ref _round);
        var next = -1;
        var writers = Enumerable.Range(0, Writers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Writes)
            {
                var id = i % Keys;
                await cache.SetAsync(id, new BenchProduct(id, "product", round + i));
            }
        });
        await Task.WhenAll(writers);
        await cache.FlushAsync();
    }

    /// <summary>One operation takes seconds: a few monitored iterations, in process (no generated project to build).</summary>
    private sealed class LongRunConfig : ManualConfig
    {
        public LongRunConfig()
        {
            AddJob(Job.Default
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(1)
                .WithIterationCount(3)
                .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(10), logOutput: true)));
        }
    }

    private sealed class PostgresProductWriter(NpgsqlDataSource dataSource) : ICacheWriter<int, BenchProduct>
    {
        private const string Upsert = "INSERT INTO products (id, name, price) SELECT * FROM unnest(@ids, @names, @prices) " +
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, price = excluded.price";

        public async ValueTask WriteAsync(int key, BenchProduct value, CancellationToken cancellationToken)
        {
            await using var command = dataSource.CreateCommand("INSERT INTO products (id, name, price) VALUES (@id, @name, @price) " +
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, price = excluded.price");
            command.Parameters.AddWithValue("id", value.Id);
            command.Parameters.AddWithValue("name", value.Name);
            command.Parameters.AddWithValue("price", value.Price);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        public async ValueTask WriteBatchAsync(IReadOnlyList<KeyValuePair<int, BenchProduct>> batch, CancellationToken cancellationToken)
        {
            await using var command = dataSource.CreateCommand(Upsert);
            command.Parameters.AddWithValue("ids", batch.Select(p => p.Value.Id).ToArray());
            command.Parameters.AddWithValue("names", batch.Select(p => p.Value.Name).ToArray());
            command.Parameters.AddWithValue("prices", batch.Select(p => p.Value.Price).ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
