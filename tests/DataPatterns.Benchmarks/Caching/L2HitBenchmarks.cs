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
    private ICache<string, BenchProduct> _ownTimeoutCache = null!;
    private string _rawKey = null!;

    private static string RedisConfiguration =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") is { Length: > 0 } redis ? redis : "127.0.0.1:56379";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var application = "bench-" + Guid.NewGuid().ToString("N")[..8];
        // The raw client gets the settings UseRedis gives its own multiplexer (asyncTimeout 1 s, heartbeat 100 ms): a like-for-like pair.
        _redis = await ConnectionMultiplexer.ConnectAsync(DataPatterns.Caching.Redis.RedisConnection.Configure(RedisConfiguration, TimeSpan.FromSeconds(1)));
        _database = _redis.GetDatabase();
        _rawKey = application + ":raw:" + Key;
        await _database.StringSetAsync(_rawKey, JsonSerializer.SerializeToUtf8Bytes(Product, JsonSerializerOptions.Web), TimeSpan.FromHours(1), When.Always);

        var services = new ServiceCollection();
        services.AddCaching(c => c.Configure(o => o.ApplicationName = application))
            .UseRedis(o => o.Configuration = RedisConfiguration)
            .AddCache<string, BenchProduct>("products", o =>
            {
                o.Memory.Enabled = false;
                o.Expiration.Duration = TimeSpan.FromHours(1);
            })
            .WithLoader(_ => new Loader())
            .AddCache<string, BenchProduct>("products-own-timeout", o =>
            {
                o.Memory.Enabled = false;
                o.Expiration.Duration = TimeSpan.FromHours(1);
                o.Distributed.Timeout = TimeSpan.FromMilliseconds(500); // tighter than the client's 1.1 s: the cache times reads itself
            })
            .WithLoader(_ => new Loader());
        _provider = services.BuildServiceProvider();
        _cache = _provider.GetRequiredKeyedService<ICache<string, BenchProduct>>("products");
        _ownTimeoutCache = _provider.GetRequiredKeyedService<ICache<string, BenchProduct>>("products-own-timeout");
        await _cache.GetOrLoadAsync(Key); // loads once and stores it in Redis
        await _ownTimeoutCache.GetOrLoadAsync(Key);
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

    [Benchmark(Description = "DataPatterns GetOrLoadAsync (L2 hit, the cache's own read timeout)")]
    public async Task<BenchProduct?> DataPatternsL2HitOwnTimeout() => await _ownTimeoutCache.GetOrLoadAsync(Key);

    private sealed class Loader : ICacheLoader<string, BenchProduct>
    {
        public ValueTask<BenchProduct?> LoadAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult<BenchProduct?>(Product);
    }
}
