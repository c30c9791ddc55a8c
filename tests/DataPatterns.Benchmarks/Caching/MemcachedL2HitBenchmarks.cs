using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using DataPatterns.Caching;
using DataPatterns.Caching.Memcached;
using DataPatterns.Caching.Memcached.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataPatterns.Benchmarks.Caching;

/// <summary>
/// A hit in the distributed level (memory level off) on Memcached against the same hit on Redis, and against the
/// baseline: a raw meta-protocol <c>mg</c> through the package's own client + System.Text.Json deserialisation, with the
/// client settings UseMemcached uses. Servers: DATAPATTERNS_MEMCACHED (the first one) and DATAPATTERNS_REDIS.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 5, iterationCount: 15)]
public class MemcachedL2HitBenchmarks
{
    private const string Key = "product:42";
    private static readonly BenchProduct Product = new(42, "Keyboard", 49.90m);
    private readonly ArrayBufferWriter<byte> _rawBuffer = new(256);
    private ServiceProvider _provider = null!;
    private MemcachedClient _client = null!;
    private ICache<string, BenchProduct> _memcachedCache = null!;
    private ICache<string, BenchProduct> _redisCache = null!;
    private string _rawKey = null!;

    private static string MemcachedServer =>
        (Environment.GetEnvironmentVariable("DATAPATTERNS_MEMCACHED") is { Length: > 0 } servers ? servers : "127.0.0.1:51211").Split(',')[0];

    private static string RedisConfiguration =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") is { Length: > 0 } redis ? redis : "127.0.0.1:56379";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var application = "bench-" + Guid.NewGuid().ToString("N")[..8];
        _client = new MemcachedClient(new MemcachedCachingOptions { Servers = [MemcachedServer] }, TimeProvider.System, new MemcachedCachingMetrics(), NullLogger.Instance);
        _rawKey = application + ":raw:" + Key;
        await _client.SetAsync(_rawKey, JsonSerializer.SerializeToUtf8Bytes(Product, JsonSerializerOptions.Web), TimeSpan.FromHours(1));

        _memcachedCache = Build(application + "-m", c => c.UseMemcached(MemcachedServer), out var memcachedProvider);
        _redisCache = Build(application + "-r", c => c.UseRedis(RedisConfiguration), out _provider);
        _memcachedProvider = memcachedProvider;
        await _memcachedCache.GetOrLoadAsync(Key); // loads once and stores it in the L2
        await _redisCache.GetOrLoadAsync(Key);
    }

    private ServiceProvider _memcachedProvider = null!;

    private static ICache<string, BenchProduct> Build(string application, Action<CachingBuilder> level, out ServiceProvider provider)
    {
        var services = new ServiceCollection();
        var caching = services.AddCaching(c => c.Configure(o => o.ApplicationName = application));
        level(caching);
        caching.AddCache<string, BenchProduct>("products", o =>
            {
                o.Memory.Enabled = false;
                o.Expiration.Duration = TimeSpan.FromHours(1);
            })
            .WithLoader(_ => new Loader());
        provider = services.BuildServiceProvider();
        return provider.GetRequiredKeyedService<ICache<string, BenchProduct>>("products");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        await _memcachedProvider.DisposeAsync();
        await _client.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "raw mg (own client) + deserialise")]
    public async Task<BenchProduct?> RawMetaGet()
    {
        _rawBuffer.ResetWrittenCount();
        var result = await _client.GetAsync(_rawKey, _rawBuffer);
        return result.Status == MetaStatus.Hit ? JsonSerializer.Deserialize<BenchProduct>(_rawBuffer.WrittenSpan, JsonSerializerOptions.Web) : null;
    }

    [Benchmark(Description = "DataPatterns GetOrLoadAsync (Memcached L2 hit)")]
    public async Task<BenchProduct?> MemcachedL2Hit() => await _memcachedCache.GetOrLoadAsync(Key);

    [Benchmark(Description = "DataPatterns GetOrLoadAsync (Redis L2 hit)")]
    public async Task<BenchProduct?> RedisL2Hit() => await _redisCache.GetOrLoadAsync(Key);

    private sealed class Loader : ICacheLoader<string, BenchProduct>
    {
        public ValueTask<BenchProduct?> LoadAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult<BenchProduct?>(Product);
    }
}
