using System.Collections.Concurrent;
using DataPatterns.Cqrs;

namespace DataPatterns.Samples.Shop.Embedded;

/// <summary>One generation of an embedded read model: rows keyed by table and key.</summary>
public sealed class EmbeddedReadModel
{
    internal ConcurrentDictionary<(string Table, string Key), object> Rows { get; } = new();

    internal Dictionary<(string Table, string Key), object> Staged { get; } = [];

    /// <summary>Stages a row write; it takes effect when the batch commits with its checkpoint.</summary>
    public void Upsert(string table, string key, object row) => Staged[(table, key)] = row;

    /// <summary>Reads the committed rows of a table.</summary>
    public IEnumerable<T> Query<T>(string table) => Rows.Where(r => r.Key.Table == table).Select(r => (T)r.Value);
}

/// <summary>
/// The embedded mode's projection store: read models in memory, each batch and its checkpoint applied under one lock
/// (the in-memory stand-in for one transaction), one lease per projection with a fencing token, blue/green generations.
/// </summary>
public sealed class EmbeddedProjectionStore(TimeProvider time) : IProjectionStore, IProjectionLeases, IDeadLetterStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProjectionState> _projections = new(StringComparer.Ordinal);

    /// <summary>The live read model of <paramref name="projectionName"/>, or null before its first start.</summary>
    public EmbeddedReadModel? Live(string projectionName)
    {
        lock (_gate)
        {
            return _projections.TryGetValue(projectionName, out var state) ? state.Generations[state.Live].Model : null;
        }
    }

    /// <inheritdoc />
    public bool CanRun(IProjection projection, out string reason)
    {
        reason = projection is IProjection<EmbeddedReadModel> ? string.Empty : "the embedded store runs projections that implement IProjection<EmbeddedReadModel>.";
        return reason.Length == 0;
    }

    /// <inheritdoc />
    public async ValueTask<ProjectionGenerations> OpenAsync(IProjection projection, long fencingToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var typed = (IProjection<EmbeddedReadModel>)projection;
        List<EmbeddedReadModel> fresh = [];
        ProjectionGenerations generations;
        lock (_gate)
        {
            var state = State(projection.Name);
            CheckFence(state, fencingToken);
            foreach (var generation in state.Generations.Values.Where(g => !g.Initialized))
            {
                generation.Initialized = true;
                fresh.Add(generation.Model);
            }

            var live = state.Generations[state.Live];
            generations = new ProjectionGenerations(
                new GenerationState(state.Live, live.Checkpoint),
                state.Building is { } building ? new GenerationState(building, state.Generations[building].Checkpoint) : null);
        }

        foreach (var model in fresh)
        {
            await typed.InitializeAsync(model, cancellationToken);
            Commit(model);
        }

        return generations;
    }

    /// <inheritdoc />
    public async ValueTask CommitBatchAsync(ProjectionBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        EmbeddedReadModel model;
        lock (_gate)
        {
            var state = State(batch.Projection.Name);
            CheckFence(state, batch.FencingToken);
            model = state.Generations[batch.Generation].Model;
        }

        model.Staged.Clear();
        if (batch.Events.Count > 0)
        {
            await ((IProjection<EmbeddedReadModel>)batch.Projection).ApplyAsync(batch.Events, model, cancellationToken);
        }

        lock (_gate)
        {
            var state = State(batch.Projection.Name);
            CheckFence(state, batch.FencingToken);
            var generation = state.Generations[batch.Generation];
            if (generation.Checkpoint != batch.From)
            {
                model.Staged.Clear();
                throw new LeadershipLostException($"projection '{batch.Projection.Name}': the checkpoint is at {generation.Checkpoint}, not {batch.From}.");
            }

            Commit(model);
            generation.Checkpoint = batch.To;
            state.DeadLetters.AddRange(batch.DeadLetters);
        }
    }

    /// <inheritdoc />
    public ValueTask SwitchToAsync(IProjection projection, int generation, long fencingToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(projection);
        lock (_gate)
        {
            var state = State(projection.Name);
            CheckFence(state, fencingToken);
            state.Generations.Remove(state.Live);
            state.Live = generation;
            state.Building = null;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<int> RequestRebuildAsync(string projectionName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = State(projectionName);
            if (state.Building is null)
            {
                var next = state.Generations.Keys.Max() + 1;
                state.Generations[next] = new Generation();
                state.Building = next;
            }

            return ValueTask.FromResult(state.Building.Value);
        }
    }

    /// <inheritdoc />
    public bool IsTransient(Exception exception) => false;

    /// <inheritdoc />
    public ValueTask<long?> TryAcquireAsync(string projectionName, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = State(projectionName);
            var now = time.GetUtcNow();
            if (state.Holder != holder && state.Holder is not null && state.LeaseUntil > now)
            {
                return ValueTask.FromResult<long?>(null);
            }

            if (state.Holder != holder)
            {
                state.Holder = holder;
                state.Token++;
            }

            state.LeaseUntil = now + duration;
            return ValueTask.FromResult<long?>(state.Token);
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(string projectionName, string holder, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = State(projectionName);
            if (state.Holder == holder)
            {
                state.Holder = null;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DeadLetter>> GetAsync(string projectionName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<DeadLetter>>([.. State(projectionName).DeadLetters]);
        }
    }

    private static void Commit(EmbeddedReadModel model)
    {
        foreach (var (key, row) in model.Staged)
        {
            model.Rows[key] = row;
        }

        model.Staged.Clear();
    }

    private static void CheckFence(ProjectionState state, long fencingToken)
    {
        if (state.Token != fencingToken)
        {
            throw new LeadershipLostException($"the lease moved on (token {state.Token}, caller {fencingToken}).");
        }
    }

    private ProjectionState State(string name)
    {
        if (!_projections.TryGetValue(name, out var state))
        {
            state = new ProjectionState();
            state.Generations[1] = new Generation();
            _projections[name] = state;
        }

        return state;
    }

    private sealed class ProjectionState
    {
        public Dictionary<int, Generation> Generations { get; } = [];

        public int Live { get; set; } = 1;

        public int? Building { get; set; }

        public string? Holder { get; set; }

        public long Token { get; set; }

        public DateTimeOffset LeaseUntil { get; set; }

        public List<DeadLetter> DeadLetters { get; } = [];
    }

    private sealed class Generation
    {
        public EmbeddedReadModel Model { get; } = new();

        public EventPosition Checkpoint { get; set; }

        public bool Initialized { get; set; }
    }
}
