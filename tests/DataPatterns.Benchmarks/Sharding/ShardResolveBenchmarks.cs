using System.Globalization;
using System.IO.Hashing;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DataPatterns.Sharding;

namespace DataPatterns.Benchmarks.Sharding;

/// <summary>
/// Resolving a key through the public <see cref="ShardResolver{TKey}"/> beside the bare algorithm over the same key,
/// per strategy (category) and key type (generic argument), 16 shards. Each invocation resolves 1,024 different keys.
/// Each resolver benchmark has its own loop, so its call site sees one resolver type, as an application's call site does.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[GenericTypeArguments(typeof(long))]
[GenericTypeArguments(typeof(int))]
[GenericTypeArguments(typeof(Guid))]
[GenericTypeArguments(typeof(string))]
public class ShardResolveBenchmarks<TKey>
    where TKey : notnull
{
    private const int Shards = 16;
    private const int KeysPerInvoke = 1024;

    // A field, not the constant: a configured shard count is not known to the JIT, which would turn "% 16" into a mask.
    private int _shardCount = Shards;
    private TKey[] _keys = [];
    private ShardResolver<TKey> _modulo = null!;
    private ShardResolver<TKey> _jump = null!;
    private ShardResolver<TKey> _ring = null!;
    private ShardResolver<TKey> _rendezvous = null!;
    private ShardResolver<TKey> _buckets = null!;
    private ulong[] _ringPoints = [];
    private int[] _ringOwners = [];
    private ulong[] _rendezvousSeeds = [];
    private int[] _bucketOwners = [];

    [GlobalSetup]
    public void Setup()
    {
        _keys = Enumerable.Range(0, KeysPerInvoke).Select(MakeKey).ToArray();
        _modulo = Create(ShardingStrategy.Modulo);
        _jump = Create(ShardingStrategy.JumpHash);
        _ring = Create(ShardingStrategy.ConsistentHashRing);
        _rendezvous = Create(ShardingStrategy.Rendezvous);
        _buckets = Create(ShardingStrategy.VirtualBuckets);

        // The bare versions get the very same tables the resolvers built, as plain arrays.
        var points = new List<(ulong Point, int Owner)>();
        for (var shard = 0; shard < Shards; shard++)
        {
            _rendezvousSeeds = [.. _rendezvousSeeds, XxHash3.HashToUInt64(Encoding.UTF8.GetBytes($"shard-{shard}"))];
            for (var node = 0; node < 64; node++)
            {
                points.Add((XxHash3.HashToUInt64(Encoding.UTF8.GetBytes($"shard-{shard}#{node}")), shard));
            }
        }

        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Owner.CompareTo(b.Owner));
        _ringPoints = points.Select(p => p.Point).ToArray();
        _ringOwners = points.Select(p => p.Owner).ToArray();
        var map = ((BucketShardResolver<TKey>)_buckets).Buckets;
        _bucketOwners = Enumerable.Range(0, map.BucketCount).Select(b => map.OwnerOf(b).Index).ToArray();

        // The baselines must agree with the resolvers, or the comparison is meaningless.
        foreach (var key in _keys)
        {
            var hash = BareShardFunctions.Hash(key);
            Check(_modulo, key, BareShardFunctions.Modulo(hash, Shards));
            Check(_jump, key, BareShardFunctions.Jump(hash, Shards));
            Check(_ring, key, BareShardFunctions.Ring(hash, _ringPoints, _ringOwners));
            Check(_rendezvous, key, BareShardFunctions.Rendezvous(hash, _rendezvousSeeds));
            Check(_buckets, key, BareShardFunctions.Bucket(hash, _bucketOwners));
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("Modulo")]
    public int Bare_modulo()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += BareShardFunctions.Modulo(BareShardFunctions.Hash(key), _shardCount);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("Modulo")]
    public int Resolver_modulo()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += _modulo.Resolve(key).Index;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("JumpHash")]
    public int Bare_jump()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += BareShardFunctions.Jump(BareShardFunctions.Hash(key), _shardCount);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("JumpHash")]
    public int Resolver_jump()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += _jump.Resolve(key).Index;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("Ring")]
    public int Bare_ring()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += BareShardFunctions.Ring(BareShardFunctions.Hash(key), _ringPoints, _ringOwners);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("Ring")]
    public int Resolver_ring()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += _ring.Resolve(key).Index;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("Rendezvous")]
    public int Bare_rendezvous()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += BareShardFunctions.Rendezvous(BareShardFunctions.Hash(key), _rendezvousSeeds);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("Rendezvous")]
    public int Resolver_rendezvous()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += _rendezvous.Resolve(key).Index;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("VirtualBuckets")]
    public int Bare_buckets()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += BareShardFunctions.Bucket(BareShardFunctions.Hash(key), _bucketOwners);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke), BenchmarkCategory("VirtualBuckets")]
    public int Resolver_buckets()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += _buckets.Resolve(key).Index;
        }

        return sum;
    }

    private static ShardResolver<TKey> Create(ShardingStrategy strategy)
    {
        // 64 virtual nodes per shard: a ring of 1,024 points, the size the target names.
        var options = new ShardSetOptions<TKey> { Strategy = strategy, VirtualNodesPerShard = 64 };
        for (var shard = 0; shard < Shards; shard++)
        {
            options.AddShard($"shard-{shard}");
        }

        return ShardResolverFactory.Create("bench-" + strategy, options);
    }

    private static void Check(ShardResolver<TKey> resolver, TKey key, int expected)
    {
        if (resolver.Resolve(key).Index != expected)
        {
            throw new InvalidOperationException($"{resolver.ShardSetName}: the bare function and the resolver disagree on '{key}'.");
        }
    }

    private static TKey MakeKey(int i)
    {
        object key = typeof(TKey) switch
        {
            var t when t == typeof(long) => 1_000_000_000_000L + (i * 7919L),
            var t when t == typeof(int) => 1_000_000 + (i * 7919),
            var t when t == typeof(Guid) => new Guid(i, 7, 11, [1, 2, 3, 4, 5, 6, (byte)i, (byte)(i >> 8)]),
            _ => "customer-" + i.ToString("D7", CultureInfo.InvariantCulture),
        };
        return (TKey)key;
    }
}
