using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Benchmarks.Caching;

/// <summary>
/// HybridCache.GetOrCreateAsync on a warm key, L1 hit: Microsoft's default implementation (the baseline of each group)
/// against the DataPatterns adapter (<c>AddCaching().AddHybridCache()</c>), with the factory alone and with state. Two
/// providers, since each registers itself as <see cref="HybridCache"/>; neither has a distributed level.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class HybridCacheAdapterBenchmarks
{
    private const string Key = "product:42";
    private static readonly BenchProduct Product = new(42, "Keyboard", 49.90m);
    private static readonly Func<CancellationToken, ValueTask<BenchProduct>> Factory = static _ => ValueTask.FromResult(Product);
    private static readonly Func<BenchProduct, CancellationToken, ValueTask<BenchProduct>> StateFactory = static (p, _) => ValueTask.FromResult(p);
    private ServiceProvider _microsoftProvider = null!;
    private ServiceProvider _ourProvider = null!;
    private HybridCache _microsoft = null!;
    private HybridCache _ours = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var microsoft = new ServiceCollection();
        microsoft.AddHybridCache(o => o.DefaultEntryOptions = new HybridCacheEntryOptions { Expiration = TimeSpan.FromHours(1), LocalCacheExpiration = TimeSpan.FromHours(1) });
        _microsoftProvider = microsoft.BuildServiceProvider();
        _microsoft = _microsoftProvider.GetRequiredService<HybridCache>();

        var ours = new ServiceCollection();
        ours.AddCaching().AddHybridCache(o => o.Expiration.Duration = TimeSpan.FromHours(1));
        _ourProvider = ours.BuildServiceProvider();
        _ours = _ourProvider.GetRequiredService<HybridCache>();

        if (_ours.GetType().Name != "DataPatternsHybridCache" || _microsoft.GetType() == _ours.GetType())
        {
            throw new InvalidOperationException($"Wrong implementations: {_microsoft.GetType()} / {_ours.GetType()}.");
        }

        await _microsoft.GetOrCreateAsync(Key, Factory);
        await _ours.GetOrCreateAsync(Key, Factory);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _microsoftProvider.Dispose();
        _ourProvider.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Microsoft HybridCache GetOrCreateAsync")]
    [BenchmarkCategory("factory")]
    public BenchProduct MicrosoftGetOrCreate() => Wait(_microsoft.GetOrCreateAsync(Key, Factory));

    [Benchmark(Description = "DataPatterns HybridCache GetOrCreateAsync")]
    [BenchmarkCategory("factory")]
    public BenchProduct DataPatternsGetOrCreate() => Wait(_ours.GetOrCreateAsync(Key, Factory));

    [Benchmark(Baseline = true, Description = "Microsoft HybridCache GetOrCreateAsync (state)")]
    [BenchmarkCategory("state")]
    public BenchProduct MicrosoftGetOrCreateWithState() => Wait(_microsoft.GetOrCreateAsync(Key, Product, StateFactory));

    [Benchmark(Description = "DataPatterns HybridCache GetOrCreateAsync (state)")]
    [BenchmarkCategory("state")]
    public BenchProduct DataPatternsGetOrCreateWithState() => Wait(_ours.GetOrCreateAsync(Key, Product, StateFactory));

    private static BenchProduct Wait(ValueTask<BenchProduct> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
}
