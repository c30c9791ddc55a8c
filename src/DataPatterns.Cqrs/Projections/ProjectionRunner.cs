using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs;

/// <summary>
/// The hosted service that runs every registered projection: one loop per projection, each taking the projection's
/// lease (standby otherwise), reading batches from the event source, committing each batch with its checkpoint in one
/// transaction, retrying with back-off, dead-lettering poison events, rebuilding blue/green and measuring lag.
/// </summary>
internal sealed class ProjectionRunner : BackgroundService
{
    private readonly IReadOnlyList<IProjection> _projections;
    private readonly IEventSource _source;
    private readonly IProjectionStore _store;
    private readonly IProjectionLeases _leases;
    private readonly ProjectionMonitor _monitor;
    private readonly CqrsMetrics _metrics;
    private readonly ProjectionRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ProjectionRunner(
        IEnumerable<IProjection> projections,
        IEventSource source,
        IProjectionStore store,
        IProjectionLeases leases,
        ProjectionMonitor monitor,
        CqrsMetrics metrics,
        IOptions<ProjectionRunnerOptions> options,
        TimeProvider time,
        ILogger<ProjectionRunner> logger)
    {
        _projections = [.. projections];
        _source = source;
        _store = store;
        _leases = leases;
        _monitor = monitor;
        _metrics = metrics;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        ProjectionCatalog.Validate(_projections, _store);
        foreach (var projection in _projections)
        {
            _monitor.Update(projection.Name, s => s);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_projections.Select(p => Task.Run(() => RunProjectionAsync(p, stoppingToken), CancellationToken.None)));

    private async Task RunProjectionAsync(IProjection projection, CancellationToken stop)
    {
        var state = new RunState(projection, [.. projection.EventTypes]);
        var failures = 0;
        var held = false;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var token = await _leases.TryAcquireAsync(projection.Name, _options.InstanceId, _options.LeaseDuration, stop).ConfigureAwait(false);
                    failures = 0;
                    if (token is null)
                    {
                        held = false;
                        SetRole(projection.Name, ProjectionRole.Standby);
                        await Task.Delay(_options.LeaseRetryInterval, _time, stop).ConfigureAwait(false);
                        continue;
                    }

                    held = true;
                    CqrsLog.LeaseAcquired(_logger, projection.Name, token.Value);
                    SetRole(projection.Name, ProjectionRole.Leader);
                    state.Token = token.Value;
                    await LeadAsync(state, stop).ConfigureAwait(false);
                }
                catch (LeadershipLostException ex)
                {
                    held = false;
                    CqrsLog.LeadershipLost(_logger, projection.Name, ex);
                    _monitor.Update(projection.Name, s => s with { Role = ProjectionRole.Standby, LastError = ex.Message });
                }
                catch (ProjectionStoppedException)
                {
                    SetRole(projection.Name, ProjectionRole.Stopped);
                    return;
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // Store or source unreachable while taking the lease or opening: retry with back-off, never give up.
                    failures++;
                    var delay = Backoff.For(failures, _options.InitialBackoff, _options.MaxBackoff);
                    CqrsLog.TransientFailure(_logger, projection.Name, failures, delay, ex);
                    _metrics.BatchFailures.Add(1, new KeyValuePair<string, object?>("projection", projection.Name), new KeyValuePair<string, object?>("transient", true));
                    _monitor.Update(projection.Name, s => s with { LastError = Describe(ex) });
                    await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            if (held)
            {
                try
                {
                    using var release = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await _leases.ReleaseAsync(projection.Name, _options.InstanceId, release.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    CqrsLog.ReleaseFailed(_logger, projection.Name, ex);
                }
            }
        }
    }

    private async Task LeadAsync(RunState state, CancellationToken stopping)
    {
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        try
        {
            await LeadCoreAsync(state, leading.Token).ConfigureAwait(false);
        }
        finally
        {
            await leading.CancelAsync().ConfigureAwait(false);
            state.Clear();
        }
    }

    private async Task LeadCoreAsync(RunState state, CancellationToken stop)
    {
        var name = state.Projection.Name;
        var generations = await _store.OpenAsync(state.Projection, state.Token, stop).ConfigureAwait(false);
        ReportGenerations(name, generations);
        var now = _time.GetUtcNow();
        var renewAt = now + (_options.LeaseDuration / 3);
        var rebuildCheckAt = now + _options.RebuildCheckInterval;
        var lagAt = now;
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            now = _time.GetUtcNow();
            if (now >= renewAt)
            {
                var renewed = await _leases.TryAcquireAsync(name, _options.InstanceId, _options.LeaseDuration, stop).ConfigureAwait(false);
                if (renewed != state.Token)
                {
                    throw new LeadershipLostException($"Projection '{name}': the lease was taken over by another instance (this instance's token was {state.Token}).");
                }

                renewAt = now + (_options.LeaseDuration / 3);
            }

            if (now >= rebuildCheckAt)
            {
                var building = generations.Building;
                generations = await _store.OpenAsync(state.Projection, state.Token, stop).ConfigureAwait(false);
                if (building is null && generations.Building is { } started)
                {
                    CqrsLog.RebuildStarted(_logger, name, started.Generation, generations.Live.Generation);
                }

                ReportGenerations(name, generations);
                rebuildCheckAt = now + _options.RebuildCheckInterval;
            }

            var live = await StepAsync(state, generations.Live, stop).ConfigureAwait(false);
            generations = generations with { Live = live.State };
            var busy = live.Read > 0;
            var pending = live.Pending;
            if (generations.Building is { } rebuilding)
            {
                // The rebuild gets several batches per live batch so it catches up while writes continue; it has caught
                // up when its checkpoint reaches the live one's, and then takes over (both read the same ordered source).
                var rebuilt = new StepResult(rebuilding, 0, false);
                for (var i = 0; i < _options.RebuildBatchesPerLiveBatch; i++)
                {
                    rebuilt = await StepAsync(state, rebuilt.State, stop).ConfigureAwait(false);
                    busy |= rebuilt.Read > 0;
                    pending |= rebuilt.Pending;
                    if (rebuilt.Read < _options.BatchSize || rebuilt.State.Checkpoint >= generations.Live.Checkpoint)
                    {
                        break;
                    }
                }

                generations = generations with { Building = rebuilt.State };
                if (rebuilt.State.Checkpoint >= generations.Live.Checkpoint)
                {
                    await _store.SwitchToAsync(state.Projection, rebuilt.State.Generation, state.Token, stop).ConfigureAwait(false);
                    _metrics.Switches.Add(1, new KeyValuePair<string, object?>("projection", name));
                    CqrsLog.Switched(_logger, name, rebuilt.State.Generation);
                    generations = new ProjectionGenerations(rebuilt.State, null);
                }
            }

            ReportGenerations(name, generations);
            if (live.Read == 0 && !live.Pending)
            {
                // The live generation just read nothing and nothing waits behind an older transaction: it is caught up,
                // and saying so costs no query (an idle runner woken often must not count the outbox every time).
                ReportCaughtUp(name);
                lagAt = now + _options.LagProbeInterval;
            }
            else if (now >= lagAt)
            {
                await ProbeLagAsync(name, generations.Live.Checkpoint, stop).ConfigureAwait(false);
                lagAt = now + _options.LagProbeInterval;
            }

            if (!busy)
            {
                await _source.WaitForEventsAsync(pending ? _options.PendingPollInterval : _options.IdlePollInterval, stop).ConfigureAwait(false);
            }
        }
    }

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

        var tag = new KeyValuePair<string, object?>("projection", name);
        if (handled.Count < batch.Events.Count)
        {
            _metrics.EventsSkipped.Add(batch.Events.Count - handled.Count, tag);
        }

        using var activity = CqrsMetrics.ActivitySource.StartActivity("cqrs.projection.batch");
        activity?.SetTag("projection", name);
        activity?.SetTag("generation", generation.Generation);
        activity?.SetTag("events", batch.Events.Count);
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
                _metrics.EventsApplied.Add(batch.Events.Count, new KeyValuePair<string, object?>("projection", name));
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
                _metrics.BatchFailures.Add(1, new KeyValuePair<string, object?>("projection", name), new KeyValuePair<string, object?>("transient", false));
                _monitor.Update(name, s => s with { LastError = Describe(ex) });
                if (failures >= _options.MaxAttempts)
                {
                    return ex;
                }

                var delay = Backoff.For(failures, _options.InitialBackoff, _options.MaxBackoff);
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
        _metrics.EventsDeadLettered.Add(1, new KeyValuePair<string, object?>("projection", name));
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
        var delay = Backoff.For(attempt, _options.InitialBackoff, _options.MaxBackoff);
        CqrsLog.TransientFailure(_logger, name, attempt, delay, ex);
        _metrics.BatchFailures.Add(1, new KeyValuePair<string, object?>("projection", name), new KeyValuePair<string, object?>("transient", true));
        _monitor.Update(name, s => s with { LastError = Describe(ex) });
        await Task.Delay(delay, _time, stop).ConfigureAwait(false);
    }

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

    private static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";

    private sealed class RunState(IProjection projection, HashSet<string> eventTypes)
    {
        private readonly Dictionary<int, (EventPosition After, Task<EventBatch> Read)> _prefetched = [];

        public IProjection Projection { get; } = projection;

        public HashSet<string> EventTypes { get; } = eventTypes;

        public long Token { get; set; }

        public void Prefetch(int generation, EventPosition after, Task<EventBatch> read) => _prefetched[generation] = (after, read);

        /// <summary>The read started for this generation's current checkpoint, if any (a stale one is dropped).</summary>
        public ValueTask<Task<EventBatch>?> TakePrefetched(GenerationState generation)
        {
            if (!_prefetched.Remove(generation.Generation, out var prefetched))
            {
                return ValueTask.FromResult<Task<EventBatch>?>(null);
            }

            if (prefetched.After == generation.Checkpoint)
            {
                return ValueTask.FromResult<Task<EventBatch>?>(prefetched.Read);
            }

            Forget(prefetched.Read);
            return ValueTask.FromResult<Task<EventBatch>?>(null);
        }

        /// <summary>Drops every prefetched read (leadership changed hands or the loop ends).</summary>
        public void Clear()
        {
            foreach (var (_, read) in _prefetched.Values)
            {
                Forget(read);
            }

            _prefetched.Clear();
        }

        private static void Forget(Task<EventBatch> read) =>
            _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private readonly record struct StepResult(GenerationState State, int Read, bool Pending);
}

/// <summary>Thrown inside the runner to stop a projection under <see cref="PoisonEventPolicy.ParkAndStop"/>.</summary>
internal sealed class ProjectionStoppedException : Exception
{
    public ProjectionStoppedException()
        : base("The projection stopped after parking a poison event.")
    {
    }

    public ProjectionStoppedException(string message)
        : base(message)
    {
    }

    public ProjectionStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
