using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DataPatterns.Cqrs;

/// <summary>The package's one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named <c>DataPatterns.Cqrs</c>.</summary>
internal sealed class CqrsMetrics : IDisposable
{
    public const string Name = CqrsTelemetry.Name;

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;

    public CqrsMetrics(ProjectionMonitor monitor, IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(Name) ?? new Meter(Name);
        EventsApplied = _meter.CreateCounter<long>("datapatterns.cqrs.events.applied", "{event}", "Events applied to read models (committed).");
        EventsSkipped = _meter.CreateCounter<long>("datapatterns.cqrs.events.unhandled", "{event}", "Events of types the projection does not handle (checkpoint moved past them).");
        EventsDeadLettered = _meter.CreateCounter<long>("datapatterns.cqrs.events.dead_lettered", "{event}", "Poison events parked in the dead-letter store.");
        BatchFailures = _meter.CreateCounter<long>("datapatterns.cqrs.batch.failures", "{failure}", "Failed batch attempts, tagged datapatterns.cqrs.transient=true|false.");
        BatchDuration = _meter.CreateHistogram<double>("datapatterns.cqrs.batch.duration", "s", "Time to apply and commit one batch.");
        Switches = _meter.CreateCounter<long>("datapatterns.cqrs.rebuild.switches", "{switch}", "Blue/green switches to a rebuilt generation.");
        _meter.CreateObservableGauge(
            "datapatterns.cqrs.projection.lag.events",
            () => monitor.GetAll().Select(s => new Measurement<long>(s.EventsBehind, new KeyValuePair<string, object?>("datapatterns.cqrs.projection", s.Name))),
            "{event}",
            "Committed events the projection has not applied yet.");
        _meter.CreateObservableGauge(
            "datapatterns.cqrs.projection.lag.seconds",
            () => monitor.GetAll().Select(s => new Measurement<double>(s.SecondsBehind, new KeyValuePair<string, object?>("datapatterns.cqrs.projection", s.Name))),
            "s",
            "Age of the oldest event the projection has not applied yet.");
    }

    public Counter<long> EventsApplied { get; }

    public Counter<long> EventsSkipped { get; }

    public Counter<long> EventsDeadLettered { get; }

    public Counter<long> BatchFailures { get; }

    public Histogram<double> BatchDuration { get; }

    public Counter<long> Switches { get; }

    public void Dispose() => _meter.Dispose();
}
