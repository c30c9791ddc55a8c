using System.Globalization;
using DataPatterns.Sharding;

namespace DataPatterns.Sharding.TestHost;

/// <summary>The keys and shard sets both processes resolve; the test links this file so both sides agree on them.</summary>
public static class SampleKeys
{
    public const int Count = 10_000;

    public static IEnumerable<string> Strategies => ["Modulo", "JumpHash", "ConsistentHashRing", "Rendezvous", "VirtualBuckets"];

    public static ShardResolver<TKey> Resolver<TKey>(string strategy)
        where TKey : notnull
    {
        var options = new ShardSetOptions<TKey> { Strategy = Enum.Parse<ShardingStrategy>(strategy), VirtualNodesPerShard = 200 };
        for (var i = 1; i <= 7; i++)
        {
            options.AddShard($"shard-{i}", strategy is "ConsistentHashRing" or "Rendezvous" or "VirtualBuckets" ? i % 3 + 1 : 1);
        }

        return ShardResolverFactory.Create($"cross-process-{strategy}", options);
    }

    // Deterministic keys, generated the same way in both processes (no Random, no GetHashCode).
    public static IEnumerable<int> Ints() => Enumerable.Range(0, Count).Select(i => (i * 7919) - 5_000_000);

    public static IEnumerable<long> Longs() => Enumerable.Range(0, Count).Select(i => (long)i * 1_000_000_007L - 3_000_000_000_000L);

    public static IEnumerable<Guid> Guids() => Enumerable.Range(0, Count).Select(i => new Guid(i, (short)(i % 7), (short)(i % 11), [1, 2, 3, 4, 5, 6, (byte)(i % 256), (byte)(i / 256 % 256)]));

    public static IEnumerable<string> Strings() => Enumerable.Range(0, Count).Select(i => i % 3 == 0 ? $"tenant-ü-{i.ToString(CultureInfo.InvariantCulture)}" : $"customer:{i.ToString(CultureInfo.InvariantCulture)}");

    public static IEnumerable<(long, string)> Composites() => Enumerable.Range(0, Count).Select(i => ((long)i, $"region-{i % 5}"));

    /// <summary>One line per key: "type strategy index shard".</summary>
    public static IEnumerable<string> Resolve(string strategy)
    {
        var ints = Resolver<int>(strategy);
        var longs = Resolver<long>(strategy);
        var guids = Resolver<Guid>(strategy);
        var strings = Resolver<string>(strategy);
        var composites = Resolver<(long, string)>(strategy);
        var i = 0;
        foreach (var key in Ints())
        {
            yield return $"int {strategy} {i++} {ints.Resolve(key).Name}";
        }

        i = 0;
        foreach (var key in Longs())
        {
            yield return $"long {strategy} {i++} {longs.Resolve(key).Name}";
        }

        i = 0;
        foreach (var key in Guids())
        {
            yield return $"guid {strategy} {i++} {guids.Resolve(key).Name}";
        }

        i = 0;
        foreach (var key in Strings())
        {
            yield return $"string {strategy} {i++} {strings.Resolve(key).Name}";
        }

        i = 0;
        foreach (var key in Composites())
        {
            yield return $"composite {strategy} {i++} {composites.Resolve(key).Name}";
        }
    }
}
