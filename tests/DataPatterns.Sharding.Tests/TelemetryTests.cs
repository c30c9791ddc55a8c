using System.Diagnostics.Metrics;

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
}
