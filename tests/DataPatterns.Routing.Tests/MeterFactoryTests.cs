using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Routing.Tests;

public sealed class MeterFactoryTests
{
    [Fact]
    public async Task Routers_of_one_meter_factory_report_on_its_meter_once_each_and_never_on_another_factorys()
    {
        using var hostA = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var hostB = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factoryA = hostA.GetRequiredService<IMeterFactory>();
        var seen = new ConcurrentBag<(string Instrument, string Router, string? Node)>();
        using var listener = ListenTo(factoryA, seen);

        var a1 = new FakeCluster(name: "a1", meterFactory: factoryA, nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await using var a2 = new FakeCluster(name: "a2", meterFactory: factoryA, nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await using var b = new FakeCluster(name: "b", meterFactory: hostB.GetRequiredService<IMeterFactory>(), nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await a1.ReadAsync();
        await a2.ReadAsync();
        await b.ReadAsync();
        listener.RecordObservableInstruments();

        Assert.Single(seen, m => m is { Instrument: "datapatterns.routing.reads", Router: "a1" });
        Assert.Single(seen, m => m is { Instrument: "datapatterns.routing.reads", Router: "a2" });
        Assert.Single(seen, m => m is { Instrument: "datapatterns.routing.replica.lag", Router: "a1", Node: "r" });
        Assert.Single(seen, m => m is { Instrument: "datapatterns.routing.replica.lag", Router: "a2", Node: "r" });
        Assert.DoesNotContain(seen, m => m.Router == "b");

        // A disposed router leaves the shared meter's observable instruments.
        await a1.DisposeAsync();
        seen.Clear();
        listener.RecordObservableInstruments();
        Assert.DoesNotContain(seen, m => m.Router == "a1");
        Assert.Contains(seen, m => m is { Instrument: "datapatterns.routing.replica.lag", Router: "a2" });
    }

    [Fact]
    public async Task A_router_registered_with_AddReadWriteSplitting_reports_on_the_containers_meter()
    {
        var node = FakeNode.Primary("p");
        var services = new ServiceCollection().AddMetrics();
        services.AddReadWriteSplitting("di", o =>
        {
            o.Probe = new FakeProbe();
            o.FailureClassifier = new FakeClassifier();
            o.AddNode("p", node);
        });
        await using var provider = services.BuildServiceProvider();
        var seen = new ConcurrentBag<(string Instrument, string Router, string? Node)>();
        using var listener = ListenTo(provider.GetRequiredService<IMeterFactory>(), seen);

        var router = provider.GetRequiredKeyedService<ReadWriteRouter>("di");
        await using (await router.OpenConnectionAsync(RoutingIntent.Write))
        {
        }

        Assert.Contains(seen, m => m is { Instrument: "datapatterns.routing.writes", Router: "di", Node: "p" });
    }

    private static MeterListener ListenTo(IMeterFactory factory, ConcurrentBag<(string Instrument, string Router, string? Node)> seen)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RoutingTelemetry.Name && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => Record(instrument.Name, tags));
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Record(instrument.Name, tags));
        listener.Start();
        return listener;

        void Record(string instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? router = null, node = null;
            foreach (var tag in tags)
            {
                router = tag.Key == "datapatterns.routing.router" ? (string?)tag.Value : router;
                node = tag.Key == "datapatterns.routing.node" ? (string?)tag.Value : node;
            }

            seen.Add((instrument, router!, node));
        }
    }
}
