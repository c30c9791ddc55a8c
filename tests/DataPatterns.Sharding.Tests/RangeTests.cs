using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Sharding.Tests;

public sealed class RangeTests
{
    [Property]
    public Property The_range_strategy_matches_a_linear_scan_model(PositiveInt[] widthsRaw, long key, bool openEnded)
    {
        var widths = widthsRaw.Take(8).Select(w => (long)(w.Get % 1_000_000) + 1).ToArray();
        if (widths.Length == 0)
        {
            return true.ToProperty();
        }

        var options = new ShardSetOptions<long> { Strategy = ShardingStrategy.Range };
        var model = new List<(long From, long To, string Shard)>();
        long start = -500_000;
        for (var i = 0; i < widths.Length; i++)
        {
            var shard = $"r{i}";
            options.AddShard(shard);
            var last = i == widths.Length - 1;
            if (last && openEnded)
            {
                options.Ranges.Add(ShardRange<long>.StartingAt(shard, start));
                model.Add((start, long.MaxValue, shard));
            }
            else
            {
                options.Ranges.Add(ShardRange<long>.Between(shard, start, start + widths[i]));
                model.Add((start, start + widths[i], shard));
            }

            start += widths[i];
        }

        // Probe around the boundaries as well as the random key.
        var probes = model.SelectMany(r => new[] { r.From - 1, r.From, r.From + 1, r.To - 1, r.To }).Append(key).Append(key % 4_000_000);
        var resolver = ShardResolverFactory.Create("ranges", options);
        return probes.All(probe =>
        {
            var expected = model.FirstOrDefault(r => probe >= r.From && (probe < r.To || (openEnded && r == model[^1]))).Shard;
            if (expected is null)
            {
                return Throws<ShardNotFoundException>(() => resolver.Resolve(probe));
            }

            return resolver.Resolve(probe).Name == expected;
        }).ToProperty();
    }

    [Fact]
    public void Time_ranges_work_on_DateTimeOffset_keys()
    {
        var options = new ShardSetOptions<DateTimeOffset> { Strategy = ShardingStrategy.Range }.AddShard("2025").AddShard("2026");
        var y2025 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var y2026 = y2025.AddYears(1);
        options.Ranges.Add(ShardRange<DateTimeOffset>.Between("2025", y2025, y2026));
        options.Ranges.Add(ShardRange<DateTimeOffset>.StartingAt("2026", y2026));
        var resolver = ShardResolverFactory.Create("events", options);

        Assert.Equal("2025", resolver.Resolve(y2026.AddTicks(-1)).Name);
        Assert.Equal("2026", resolver.Resolve(y2026).Name);
        Assert.Equal("2026", resolver.Resolve(y2026.AddYears(30)).Name);
        var error = Assert.Throws<ShardNotFoundException>(() => resolver.Resolve(y2025.AddTicks(-1)));
        Assert.Contains("outside every range", error.Message, StringComparison.Ordinal);
    }

    private static bool Throws<TException>(Action action)
        where TException : Exception
    {
        try
        {
            action();
            return false;
        }
        catch (TException)
        {
            return true;
        }
    }
}
