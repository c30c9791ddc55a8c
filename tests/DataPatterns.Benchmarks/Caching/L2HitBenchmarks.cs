using System.Text.Json;
using BenchmarkDotNet.Attributes;
using DataPatterns.Caching;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace DataPatterns.Benchmarks.Caching;

/// <summary>
/// A hit in the distributed level over real Redis (memory level off): DataPatterns' get-or-load against raw
/// StackExchange.Redis StringGetAsync + System.Text.Json deserialisation (the baseline). Redis: DATAPATTERNS_REDIS.
/// </summary>
[MemoryDiagnoser]
public class L2HitBenchmarks
{
    private const string Key = "product:42";
    private static readonly BenchProduct Product = new(42, "Keyboard", 49.90m);
    private ServiceProvider _provider = null!;
    private ConnectionMultiplexer _redis = null!;
    private IDatabase _database = null!;
    private ICache<string, BenchProduct> _cache = null!;
    private ICache<string, BenchProduct> _storeTimeoutCache = null!;
    private string _rawKey = null!;

    private static string RedisConfiguration =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") is { Length: > 0 } redis ? redis : "127.0.0.1:56379";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var application = "bench-" + Guid.NewGuid().ToString("N")[..8];
        _redis = await ConnectionMultiplexer.ConnectAsync(RedisConfiguration);
        _database = _redis.GetDatabase();
        _rawKey = application + ":raw:" + Key;
        await _database.StringSetAsync(_rawKey, JsonSerializer.SerializeToUtf8Bytes(Product, JsonSerializerOptions.Web), TimeSpan.FromHours(1), When.Always);

        var services = new ServiceCollection();
        services.AddCaching(c => c.Configure(o => o.ApplicationName = application))
            .UseRedis(o => o.ConnectionMultiplexerFactory = _ => Task.FromResult<IConnectionMultiplexer>(_redis))
            .AddCache<string, BenchProduct>("products", o =>
            {
                o.Memory.Enabled = false;
                o.Expiration.Duration = TimeSpan.FromHours(1);
            })
            .WithLoader(_ => new Loader())
            .AddCache<string, BenchProduct>("products-store-timeout", o =>
            {
                o.Memory.Enabled = false;
                o.Expiration.Duration = TimeSpan.FromHours(1);
                o.Distributed.Timeout = Timeout.InfiniteTimeSpan; // no timer of the cache's own: SE.Redis's asyncTimeout applies
            })
            .WithLoader(_ => new Loader());
        _provider = services.BuildServiceProvider();
        _cache = _provider.GetRequiredKeyedService<ICache<string, BenchProduct>>("products");
        _storeTimeoutCache = _provider.GetRequiredKeyedService<ICache<string, BenchProduct>>("products-store-timeout");
        await _cache.GetOrLoadAsync(Key); // loads once and stores it in Redis
        await _storeTimeoutCache.GetOrLoadAsync(Key);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "SE.Redis StringGetAsync + deserialise")]
    public async Task<BenchProduct?> RawStringGet()
    {
        byte[]? data = await _database.StringGetAsync(_rawKey);
        return data is null ? null : JsonSerializer.Deserialize<BenchProduct>(data, JsonSerializerOptions.Web);
    }

    [Benchmark(Description = "DataPatterns GetOrLoadAsync (L2 hit)")]
    public async Task<BenchProduct?> DataPatternsL2Hit() => await _cache.GetOrLoadAsync(Key);

    [Benchmark(Description = "DataPatterns GetOrLoadAsync (L2 hit, store timeouts only)")]
    public async Task<BenchProduct?> DataPatternsL2HitStoreTimeout() => await _storeTimeoutCache.GetOrLoadAsync(Key);

    private sealed class Loader : ICacheLoader<string, BenchProduct>
    {
        public ValueTask<BenchProduct?> LoadAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult<BenchProduct?>(Product);
    }
}
