namespace DataPatterns.Cqrs;

// What the runner reports to the monitor: lag behind the event source, generations, role.
internal sealed partial class ProjectionRunner
{
    private async Task ProbeLagAsync(string name, EventPosition checkpoint, CancellationToken stop)
    {
        try
        {
            var lag = await _source.GetLagAsync(checkpoint, stop).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            var seconds = lag.OldestUnprocessedAt is { } oldest ? Math.Max(0, (now - oldest).TotalSeconds) : 0;
            _monitor.Update(name, s => s with { EventsBehind = lag.EventsBehind, SecondsBehind = seconds, LagMeasuredAt = now });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            _monitor.Update(name, s => s with { LastError = Describe(ex) });
        }
    }

    private void ReportCaughtUp(string name)
    {
        var now = _time.GetUtcNow();
        _monitor.Update(name, s => s with { EventsBehind = 0, SecondsBehind = 0, LagMeasuredAt = now });
    }

    private void ReportGenerations(string name, ProjectionGenerations generations) =>
        _monitor.Update(name, s => s with
        {
            LiveGeneration = generations.Live.Generation,
            Checkpoint = generations.Live.Checkpoint,
            RebuildingGeneration = generations.Building?.Generation,
        });

    private void SetRole(string name, ProjectionRole role) => _monitor.Update(name, s => s with { Role = role });
}
