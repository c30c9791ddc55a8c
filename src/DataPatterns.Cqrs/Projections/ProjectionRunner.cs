using DataPatterns.Resilience;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs;

/// <summary>
/// The hosted service that runs every registered projection: one loop per projection, each taking the projection's
/// lease (standby otherwise), reading batches from the event source, committing each batch with its checkpoint in one
/// transaction, retrying with back-off, dead-lettering poison events, rebuilding blue/green and measuring lag.
/// </summary>
internal sealed partial class ProjectionRunner : BackgroundService
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
    private readonly ProjectionRunnerStartWatch? _startWatch;

    public ProjectionRunner(
        IEnumerable<IProjection> projections,
        IEventSource source,
        IProjectionStore store,
        IProjectionLeases leases,
        ProjectionMonitor monitor,
        CqrsMetrics metrics,
        IOptions<ProjectionRunnerOptions> options,
        TimeProvider time,
        ILogger<ProjectionRunner> logger,
        ProjectionRunnerStartWatch? startWatch = null)
    {
        _startWatch = startWatch;
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
        _startWatch?.Started();
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
                    var delay = ExponentialBackoff.Delay(failures, _options.RetryDelay, _options.MaxRetryDelay);
                    CqrsLog.TransientFailure(_logger, projection.Name, failures, delay, ex);
                    _metrics.BatchFailures.Add(1, new KeyValuePair<string, object?>("datapatterns.cqrs.projection", projection.Name), new KeyValuePair<string, object?>("datapatterns.cqrs.transient", true));
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
                await RenewLeaseAsync(state, stop).ConfigureAwait(false);
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
                var rebuild = await AdvanceRebuildAsync(state, generations, rebuilding, stop).ConfigureAwait(false);
                generations = rebuild.Generations;
                busy |= rebuild.Busy;
                pending |= rebuild.Pending;
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

    /// <summary>
    /// Gives the rebuild several batches per live batch so it catches up while writes continue; it has caught up when
    /// its checkpoint reaches the live one's, and then takes over (both read the same ordered source).
    /// </summary>
    private async Task<(ProjectionGenerations Generations, bool Busy, bool Pending)> AdvanceRebuildAsync(RunState state, ProjectionGenerations generations, GenerationState rebuilding, CancellationToken stop)
    {
        var name = state.Projection.Name;
        var rebuilt = new StepResult(rebuilding, 0, false);
        bool busy = false, pending = false;
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
            _metrics.Switches.Add(1, new KeyValuePair<string, object?>("datapatterns.cqrs.projection", name));
            CqrsLog.Switched(_logger, name, rebuilt.State.Generation);
            generations = new ProjectionGenerations(rebuilt.State, null);
        }

        return (generations, busy, pending);
    }

    private async Task RenewLeaseAsync(RunState state, CancellationToken stop)
    {
        var renewed = await _leases.TryAcquireAsync(state.Projection.Name, _options.InstanceId, _options.LeaseDuration, stop).ConfigureAwait(false);
        if (renewed != state.Token)
        {
            throw new LeadershipLostException($"Projection '{state.Projection.Name}': the lease was taken over by another instance (this instance's token was {state.Token}).");
        }
    }

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
