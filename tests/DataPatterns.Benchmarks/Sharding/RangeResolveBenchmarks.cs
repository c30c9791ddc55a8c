using BenchmarkDotNet.Attributes;
using DataPatterns.Sharding;

namespace DataPatterns.Benchmarks.Sharding;

/// <summary>The range strategy over 16 monthly ranges of long ids, beside a bare binary search over the same bounds.</summary>
[MemoryDiagnoser]
public class RangeResolveBenchmarks
{
    private const int KeysPerInvoke = 1024;
    private long[] _keys = [];
    private long[] _lowerBounds = [];
    private ShardResolver<long> _resolver = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new ShardSetOptions<long> { Strategy = ShardingStrategy.Range };
        _lowerBounds = Enumerable.Range(0, 16).Select(i => i * 1_000_000L).ToArray();
        for (var i = 0; i < 16; i++)
        {
            options.AddShard($"range-{i}");
            options.Ranges.Add(i == 15 ? ShardRange<long>.StartingAt($"range-{i}", _lowerBounds[i]) : ShardRange<long>.Between($"range-{i}", _lowerBounds[i], _lowerBounds[i + 1]));
        }

        _resolver = ShardResolverFactory.Create("ranges", options);
        _keys = Enumerable.Range(0, KeysPerInvoke).Select(i => i * 15_731L % 17_000_000L).ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = KeysPerInvoke)]
    public int Bare_binary_search()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            var index = Array.BinarySearch(_lowerBounds, key);
            sum += index >= 0 ? index : ~index - 1;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke)]
    public int Resolver_range()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += _resolver.Resolve(key).Index;
        }

        return sum;
    }
}
