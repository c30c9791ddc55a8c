using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Sharding.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public void Resolutions_are_counted_per_shard_set_and_shard_while_someone_listens()
    {
        var setName = "telemetry-" + Guid.NewGuid().ToString("N");
        var resolver = ShardResolverFactory.Create(setName, new ShardSetOptions<long>().AddShard("a").AddShard("b"));
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ShardingTelemetry.Name && instrument.Name == "datapatterns.sharding.resolutions")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? set = null, shard = null;
            foreach (var tag in tags)
            {
                set = tag.Key == "datapatterns.sharding.shard_set" ? (string?)tag.Value : set;
                shard = tag.Key == "datapatterns.sharding.shard" ? (string?)tag.Value : shard;
            }

            if (set == setName)
            {
                lock (counts)
                {
                    counts[shard!] = counts.GetValueOrDefault(shard!) + value;
                }
            }
        });
        listener.Start();

        var expected = new Dictionary<string, long> { ["a"] = 0, ["b"] = 0 };
        for (long key = 0; key < 1_000; key++)
        {
            expected[resolver.Resolve(key).Name]++;
        }

        Assert.Equal(expected.OrderBy(p => p.Key), counts.OrderBy(p => p.Key));
    }

    [Fact]
    public void A_set_registered_with_AddSharding_counts_on_the_containers_meter_and_a_resolver_built_by_hand_does_not()
    {
        using var provider = new ServiceCollection()
            .AddMetrics()
            .AddSharding(s => s.AddShardSet<long>("scoped", o => o.AddShard("a").AddShard("b")))
            .Services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IMeterFactory>();
        var sets = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ShardingTelemetry.Name && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "datapatterns.sharding.shard_set")
                {
                    lock (sets)
                    {
                        sets.Add((string)tag.Value!);
                    }
                }
            }
        });
        listener.Start();

        var resolver = provider.GetRequiredService<ShardSets>().Resolver<long>("scoped");
        for (long key = 0; key < 10; key++)
        {
            resolver.Resolve(key);
        }

        ShardResolverFactory.Create("by-hand", new ShardSetOptions<long>().AddShard("a")).Resolve(1);

        Assert.Equal(10, sets.Count(s => s == "scoped"));
        Assert.DoesNotContain("by-hand", sets);
    }
}
