using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace DataPatterns.Routing.Tests;

public sealed class MetricsTests
{
    [Fact]
    public async Task Reads_writes_fallbacks_ejections_and_lag_are_measured_per_node()
    {
        await using var cluster = new FakeCluster(name: "metrics", nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        var seen = new ConcurrentBag<(string Instrument, double Value, string Router, string? Node, string? Reason)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RoutingTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        listener.Start();

        await cluster.WriteAsync();
        await cluster.ReadAsync();
        cluster["r"].Down = true;
        await cluster.ReadAsync(); // ejects r, falls back to p
        listener.RecordObservableInstruments();

        Assert.Contains(seen, m => m is { Instrument: "datapatterns.routing.writes", Router: "metrics", Node: "p" });
        Assert.Contains(seen, m => m is { Instrument: "datapatterns.routing.reads", Router: "metrics", Node: "r" });
        Assert.Contains(seen, m => m is { Instrument: "datapatterns.routing.reads", Router: "metrics", Node: "p" });
        Assert.Contains(seen, m => m is { Instrument: "datapatterns.routing.fallbacks", Router: "metrics", Reason: "no_replica" });
        Assert.Contains(seen, m => m is { Instrument: "datapatterns.routing.ejections", Router: "metrics", Node: "r" });
        Assert.Contains(seen, m => m is { Instrument: "datapatterns.routing.replica.lag", Router: "metrics", Node: "r" });

        void Record(string instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? router = null, node = null, reason = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "datapatterns.routing.router": router = (string?)tag.Value; break;
                    case "datapatterns.routing.node": node = (string?)tag.Value; break;
                    case "datapatterns.routing.reason": reason = (string?)tag.Value; break;
                }
            }

            if (router == "metrics")
            {
                seen.Add((instrument, value, router, node, reason));
            }
        }
    }
}
