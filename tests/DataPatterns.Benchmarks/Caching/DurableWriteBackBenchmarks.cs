using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DataPatterns.Caching;
using DataPatterns.Caching.Redis;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.Benchmarks.Caching;

/// <summary>
/// What durable write-back's promise costs per Redis setting: 2,000 writes over 200 keys by 1 or 16 concurrent writers,
/// then the flush into PostgreSQL, against write-through (one upsert per write, the baseline) in the same run. Durable
/// write-back runs on private Redis servers started here: appendfsync always, everysec, no persistence, and no
/// persistence with one replica and RequiredReplicas = 1 (WAIT after each append). Servers: DATAPATTERNS_PG_PRIMARY;
/// redis-server on the PATH.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortRunConfig))]
public class DurableWriteBackBenchmarks
{
    private const int Writes = 2_000;
    private const int Keys = 200;
    private readonly List<IAsyncDisposable> _servers = [];
    private readonly List<ServiceProvider> _providers = [];
    private string _databaseName = null!;
    private string _adminConnectionString = null!;
    private NpgsqlDataSource _dataSource = null!;
    private ICache<int, BenchProduct> _writeThrough = null!;
    private ICache<int, BenchProduct> _always = null!;
    private ICache<int, BenchProduct> _everysec = null!;
    private ICache<int, BenchProduct> _none = null!;
    private ICache<int, BenchProduct> _replicated = null!;
    private int _round;

    [Params(1, 16)]
    public int Writers { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _adminConnectionString = Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") is { Length: > 0 } pg
            ? pg
            : "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";
        _databaseName = "dp_bench_durable_" + Guid.NewGuid().ToString("N")[..12];
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

        var always = await StartAsync(["--appendonly", "yes", "--appendfsync", "always"]);
        var everysec = await StartAsync(["--appendonly", "yes", "--appendfsync", "everysec"]);
        var none = await StartAsync([]);
        var primary = await StartAsync([]);
        _servers.Add(await PrivateRedis.StartReplicaAsync(primary));

        _writeThrough = Cache(none, CacheWriteStrategy.WriteThrough);
        _always = Cache(always, CacheWriteStrategy.WriteBack);
        _everysec = Cache(everysec, CacheWriteStrategy.WriteBack);
        _none = Cache(none, CacheWriteStrategy.WriteBack);
        _replicated = Cache(primary, CacheWriteStrategy.WriteBack, replicas: 1);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_databaseName} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    [Benchmark(Baseline = true, Description = "write-through")]
    public Task WriteThrough() => WriteAllAsync(_writeThrough);

    [Benchmark(Description = "durable write-back, appendfsync always")]
    public Task Always() => WriteAllAsync(_always);

    [Benchmark(Description = "durable write-back, appendfsync everysec")]
    public Task Everysec() => WriteAllAsync(_everysec);

    [Benchmark(Description = "durable write-back, no persistence")]
    public Task NoPersistence() => WriteAllAsync(_none);

    [Benchmark(Description = "durable write-back, no persistence, WAIT 1 replica")]
    public Task Replicated() => WriteAllAsync(_replicated);

    private async Task<PrivateRedis> StartAsync(IReadOnlyList<string> settings)
    {
        var redis = await PrivateRedis.StartNewAsync(settings);
        _servers.Add(redis);
        return redis;
    }

    private ICache<int, BenchProduct> Cache(PrivateRedis redis, CacheWriteStrategy strategy, int replicas = 0)
    {
        var services = new ServiceCollection();
        services.AddCaching(c => c
                .Configure(o => o.ApplicationName = "bench-" + Guid.NewGuid().ToString("N")[..8])
                .AddCache<int, BenchProduct>("products", o =>
                {
                    o.WriteStrategy = strategy;
                    o.WriteBack.Durable = true;
                    o.WriteBack.BatchSize = 1_000;
                    o.Distributed.Enabled = false;
                    o.UseBackplane = false;
                })
                .WithWriter(_ => new Writer(_dataSource)))
            .UseRedis(o =>
            {
                o.Configuration = redis.ConnectionString;
                o.WriteBackDurability.RequiredReplicas = replicas;
            });
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredKeyedService<ICache<int, BenchProduct>>("products");
    }

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

    /// <summary>A handful of monitored iterations, in process: each operation takes a second or more.</summary>
    private sealed class ShortRunConfig : ManualConfig
    {
        public ShortRunConfig()
        {
            AddJob(Job.Default
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(1)
                .WithIterationCount(5)
                .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(10), logOutput: true)));
        }
    }

    private sealed class Writer(NpgsqlDataSource dataSource) : ICacheWriter<int, BenchProduct>
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
