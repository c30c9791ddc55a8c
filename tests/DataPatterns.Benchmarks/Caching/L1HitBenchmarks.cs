using BenchmarkDotNet.Attributes;
using DataPatterns.Caching;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using ZiggyCreatures.Caching.Fusion;

namespace DataPatterns.Benchmarks.Caching;

/// <summary>
/// A hit in the in-process level: DataPatterns' get-or-load against raw IMemoryCache.TryGetValue (the baseline),
/// FusionCache GetOrSet and HybridCache GetOrCreateAsync, all on the same warm string key.
/// </summary>
[MemoryDiagnoser]
public class L1HitBenchmarks
{
    private const string Key = "product:42";
    private static readonly BenchProduct Product = new(42, "Keyboard", 49.90m);
    private ServiceProvider _provider = null!;
    private IMemoryCache _memoryCache = null!;
    private ICache<string, BenchProduct> _cache = null!;
    private ICache<int, BenchProduct> _intCache = null!;
    private FusionCache _fusion = null!;
    private HybridCache _hybrid = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var services = new ServiceCollection();
        services.AddMemoryCache();
        services.AddHybridCache();
        services.AddCaching(caching =>
        {
            caching.AddCache<string, BenchProduct>("products", o => o.Expiration.Duration = TimeSpan.FromHours(1))
                .WithLoader(_ => new BenchLoader<string>());
            caching.AddCache<int, BenchProduct>("products-by-id", o => o.Expiration.Duration = TimeSpan.FromHours(1))
                .WithLoader(_ => new BenchLoader<int>());
        });
        _provider = services.BuildServiceProvider();
        _memoryCache = _provider.GetRequiredService<IMemoryCache>();
        _memoryCache.Set(Key, Product, TimeSpan.FromHours(1));
        _cache = _provider.GetRequiredKeyedService<ICache<string, BenchProduct>>("products");
        _intCache = _provider.GetRequiredKeyedService<ICache<int, BenchProduct>>("products-by-id");
        await _cache.GetOrLoadAsync(Key);
        await _intCache.GetOrLoadAsync(42);
        _fusion = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = new FusionCacheEntryOptions { Duration = TimeSpan.FromHours(1) } });
        _fusion.GetOrSet(Key, static _ => Product);
        _hybrid = _provider.GetRequiredService<HybridCache>();
        await _hybrid.GetOrCreateAsync(Key, static _ => ValueTask.FromResult(Product));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fusion.Dispose();
        _provider.Dispose();
    }

    [Benchmark(Baseline = true, Description = "IMemoryCache.TryGetValue")]
    public BenchProduct? MemoryCacheTryGetValue() => _memoryCache.TryGetValue(Key, out BenchProduct? value) ? value : null;

    [Benchmark(Description = "DataPatterns GetOrLoadAsync (string key)")]
    public BenchProduct? DataPatternsGetOrLoad()
    {
        var pending = _cache.GetOrLoadAsync(Key);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "DataPatterns GetOrLoadAsync (int key)")]
    public BenchProduct? DataPatternsGetOrLoadIntKey()
    {
        var pending = _intCache.GetOrLoadAsync(42);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "FusionCache GetOrSet")]
    public BenchProduct? FusionCacheGetOrSet() => _fusion.GetOrSet(Key, static _ => Product);

    [Benchmark(Description = "HybridCache GetOrCreateAsync")]
    public BenchProduct? HybridCacheGetOrCreate()
    {
        var pending = _hybrid.GetOrCreateAsync(Key, static _ => ValueTask.FromResult(Product));
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    private sealed class BenchLoader<TKey> : ICacheLoader<TKey, BenchProduct>
    {
        public ValueTask<BenchProduct?> LoadAsync(TKey key, CancellationToken cancellationToken) => ValueTask.FromResult<BenchProduct?>(Product);
    }
}

/// <summary>The cached entity of the caching benchmarks.</summary>
[System.ComponentModel.ImmutableObject(true)]
public sealed record BenchProduct(int Id, string Name, decimal Price);
