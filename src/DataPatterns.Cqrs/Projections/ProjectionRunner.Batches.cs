using DataPatterns.Resilience;

namespace DataPatterns.Cqrs;

// One step of a led projection: read a batch, apply it, commit it with its checkpoint; transient failures wait and
// retry, a poison event is retried then parked in the dead letters (or stops the projection, as the policy says).
internal sealed partial class ProjectionRunner
{
    private async Task<StepResult> StepAsync(RunState state, GenerationState generation, CancellationToken stop)
    {
        var name = state.Projection.Name;
        var batch = await state.TakePrefetched(generation) is { } prefetched
            ? await prefetched.ConfigureAwait(false)
            : await ReadAsync(name, generation.Checkpoint, stop).ConfigureAwait(false);
        if (batch.Events.Count == 0)
        {
            return new StepResult(generation, 0, batch.HasPending);
        }

        var to = batch.Events[^1].Position;
        if (batch.Events.Count >= _options.BatchSize)
        {
            // A full batch: more is probably waiting, so read the next batch while this one commits (every path that
            // returns normally leaves the checkpoint at 'to').
            state.Prefetch(generation.Generation, to, ReadAsync(name, to, stop));
        }
        var handled = new List<EventEnvelope>(batch.Events.Count);
        foreach (var e in batch.Events)
        {
            if (state.EventTypes.Contains(e.EventType))
            {
                handled.Add(e);
            }
        }

        var tag = new KeyValuePair<string, object?>("datapatterns.cqrs.projection", name);
        if (handled.Count < batch.Events.Count)
        {
            _metrics.EventsSkipped.Add(batch.Events.Count - handled.Count, tag);
        }

        using var activity = CqrsMetrics.ActivitySource.StartActivity("cqrs.projection.batch");
        activity?.SetTag("datapatterns.cqrs.projection", name);
        activity?.SetTag("datapatterns.cqrs.generation", generation.Generation);
        activity?.SetTag("datapatterns.cqrs.events", batch.Events.Count);
        var started = _time.GetTimestamp();
        await ApplyAsync(state, generation, to, handled, stop).ConfigureAwait(false);
        _metrics.BatchDuration.Record(_time.GetElapsedTime(started).TotalSeconds, tag);
        return new StepResult(generation with { Checkpoint = to }, batch.Events.Count, batch.HasPending);
    }

    private async Task<EventBatch> ReadAsync(string name, EventPosition after, CancellationToken stop)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _source.ReadAsync(after, _options.BatchSize, stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                await TransientDelayAsync(name, attempt, ex, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task ApplyAsync(RunState state, GenerationState generation, EventPosition to, List<EventEnvelope> handled, CancellationToken stop)
    {
        var batch = new ProjectionBatch(state.Projection, generation.Generation, generation.Checkpoint, to, handled, [], state.Token);
        if (await TryCommitAsync(state, batch, stop).ConfigureAwait(false) is null)
        {
            return;
        }

        // The whole batch keeps failing: apply its events one at a time to find (and park) the poison one(s).
        var checkpoint = generation.Checkpoint;
        foreach (var e in handled)
        {
            var single = batch with { From = checkpoint, To = e.Position, Events = [e] };
            var failure = await TryCommitAsync(state, single, stop).ConfigureAwait(false);
            if (failure is not null)
            {
                await ParkAsync(state, generation.Generation, checkpoint, e, failure, stop).ConfigureAwait(false);
            }

            checkpoint = e.Position;
        }

        if (checkpoint != to)
        {
            await CommitOrThrowAsync(state, batch with { From = checkpoint, Events = [] }, stop).ConfigureAwait(false);
        }
    }

    /// <summary>Commits, retrying transient failures forever and other failures up to MaxAttempts; returns the last failure or null.</summary>
    private async Task<Exception?> TryCommitAsync(RunState state, ProjectionBatch batch, CancellationToken stop)
    {
        var name = state.Projection.Name;
        var failures = 0;
        var transient = 0;
        while (true)
        {
            try
            {
                await _store.CommitBatchAsync(batch, stop).ConfigureAwait(false);
                _metrics.EventsApplied.Add(batch.Events.Count, new KeyValuePair<string, object?>("datapatterns.cqrs.projection", name));
                return null;
            }
            catch (Exception ex) when (ex is not LeadershipLostException && !(ex is OperationCanceledException && stop.IsCancellationRequested))
            {
                if (_store.IsTransient(ex))
                {
                    transient++;
                    await TransientDelayAsync(name, transient, ex, stop).ConfigureAwait(false);
                    continue;
                }

                failures++;
                _metrics.BatchFailures.Add(1, new KeyValuePair<string, object?>("datapatterns.cqrs.projection", name), new KeyValuePair<string, object?>("datapatterns.cqrs.transient", false));
                _monitor.Update(name, s => s with { LastError = Describe(ex) });
                if (failures >= _options.MaxAttempts)
                {
                    return ex;
                }

                var delay = ExponentialBackoff.Delay(failures, _options.RetryDelay, _options.MaxRetryDelay);
                CqrsLog.ApplyFailed(_logger, name, failures, _options.MaxAttempts, delay, ex);
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task ParkAsync(RunState state, int generation, EventPosition checkpoint, EventEnvelope poison, Exception failure, CancellationToken stop)
    {
        var name = state.Projection.Name;
        var letter = new DeadLetter(name, generation, poison, Describe(failure), _options.MaxAttempts, _time.GetUtcNow());
        var stopAfter = _options.PoisonEventPolicy == PoisonEventPolicy.ParkAndStop;
        var park = new ProjectionBatch(state.Projection, generation, checkpoint, stopAfter ? checkpoint : poison.Position, [], [letter], state.Token);
        await CommitOrThrowAsync(state, park, stop).ConfigureAwait(false);
        CqrsLog.EventParked(_logger, name, poison.Position, poison.EventType, _options.MaxAttempts, failure);
        _metrics.EventsDeadLettered.Add(1, new KeyValuePair<string, object?>("datapatterns.cqrs.projection", name));
        _monitor.Update(name, s => s with { DeadLettered = s.DeadLettered + 1, LastError = letter.Error });
        if (stopAfter)
        {
            CqrsLog.ProjectionStopped(_logger, name, poison.Position);
            throw new ProjectionStoppedException();
        }
    }

    private async Task CommitOrThrowAsync(RunState state, ProjectionBatch batch, CancellationToken stop)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _store.CommitBatchAsync(batch, stop).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not LeadershipLostException && !(ex is OperationCanceledException && stop.IsCancellationRequested))
            {
                // Nothing of the user's runs here (no events): every failure is the store's, so retry as transient.
                await TransientDelayAsync(state.Projection.Name, attempt, ex, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task TransientDelayAsync(string name, int attempt, Exception ex, CancellationToken stop)
    {
        var delay = ExponentialBackoff.Delay(attempt, _options.RetryDelay, _options.MaxRetryDelay);
        CqrsLog.TransientFailure(_logger, name, attempt, delay, ex);
        _metrics.BatchFailures.Add(1, new KeyValuePair<string, object?>("datapatterns.cqrs.projection", name), new KeyValuePair<string, object?>("datapatterns.cqrs.transient", true));
        _monitor.Update(name, s => s with { LastError = Describe(ex) });
        await Task.Delay(delay, _time, stop).ConfigureAwait(false);
    }
}
