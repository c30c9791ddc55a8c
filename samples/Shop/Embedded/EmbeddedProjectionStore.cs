using DataPatterns.Cqrs;

namespace DataPatterns.Samples.Shop.Embedded;

/// <summary>
/// A projection's view of one generation of an embedded read model for one batch: writes are staged here and take effect
/// only when the batch commits with its checkpoint, so a batch that fails (or a fenced-off old leader) changes nothing.
/// </summary>
public sealed class EmbeddedReadModel
{
    internal EmbeddedReadModel(Dictionary<(string Table, string Key), object> rows) => Rows = rows;

    internal Dictionary<(string Table, string Key), object> Rows { get; }

    internal Dictionary<(string Table, string Key), object> Staged { get; } = [];

    /// <summary>Stages a row write; it takes effect when the batch commits with its checkpoint.</summary>
    public void Upsert(string table, string key, object row) => Staged[(table, key)] = row;
}

/// <summary>
/// The embedded mode's projection store: read models in memory; a batch's rows and its checkpoint are applied, and rows are
/// read, under one lock (the in-memory stand-in for one transaction); one lease per projection with a fencing token;
/// blue/green generations.
/// </summary>
public sealed class EmbeddedProjectionStore(TimeProvider time) : IProjectionStore, IProjectionLeases, IDeadLetterStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProjectionState> _projections = new(StringComparer.Ordinal);

    /// <summary>The rows of <paramref name="table"/> in the live generation of <paramref name="projectionName"/> (none before its first batch).</summary>
    public IReadOnlyList<T> Read<T>(string projectionName, string table)
    {
        lock (_gate)
        {
            return _projections.TryGetValue(projectionName, out var state)
                ? [.. state.Generations[state.Live].Rows.Where(r => r.Key.Table == table).Select(r => (T)r.Value)]
                : [];
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
        List<(Generation Generation, EmbeddedReadModel Context)> fresh;
        lock (_gate)
        {
            var state = State(projection.Name);
            CheckFence(state, fencingToken);
            fresh = [.. state.Generations.Values.Where(g => !g.Initialized).Select(g => (g, new EmbeddedReadModel(g.Rows)))];
        }

        foreach (var (_, context) in fresh)
        {
            await typed.InitializeAsync(context, cancellationToken);
        }

        lock (_gate)
        {
            var state = State(projection.Name);
            CheckFence(state, fencingToken);
            foreach (var (generation, context) in fresh)
            {
                Commit(context);
                generation.Initialized = true;
            }

            var live = state.Generations[state.Live];
            return new ProjectionGenerations(
                new GenerationState(state.Live, live.Checkpoint),
                state.Building is { } building ? new GenerationState(building, state.Generations[building].Checkpoint) : null);
        }
    }

    /// <inheritdoc />
    public async ValueTask CommitBatchAsync(ProjectionBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        EmbeddedReadModel context;
        lock (_gate)
        {
            var state = State(batch.Projection.Name);
            CheckFence(state, batch.FencingToken);
            context = new EmbeddedReadModel(Find(state, batch).Rows);
        }

        if (batch.Events.Count > 0)
        {
            await ((IProjection<EmbeddedReadModel>)batch.Projection).ApplyAsync(batch.Events, context, cancellationToken);
        }

        lock (_gate)
        {
            var state = State(batch.Projection.Name);
            CheckFence(state, batch.FencingToken);
            var generation = Find(state, batch);
            if (generation.Checkpoint != batch.From)
            {
                throw new LeadershipLostException($"projection '{batch.Projection.Name}': the checkpoint is at {generation.Checkpoint}, not {batch.From}.");
            }

            Commit(context);
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
            if (state.Building != generation)
            {
                throw new InvalidOperationException($"projection '{projection.Name}': generation {generation} is not the one being rebuilt ({state.Building?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}).");
            }

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

    private static void Commit(EmbeddedReadModel context)
    {
        foreach (var (key, row) in context.Staged)
        {
            context.Rows[key] = row;
        }
    }

    private static Generation Find(ProjectionState state, ProjectionBatch batch) =>
        state.Generations.TryGetValue(batch.Generation, out var generation)
            ? generation
            : throw new LeadershipLostException($"projection '{batch.Projection.Name}': generation {batch.Generation} was retired.");

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
        public Dictionary<(string Table, string Key), object> Rows { get; } = [];

        public EventPosition Checkpoint { get; set; }

        public bool Initialized { get; set; }
    }
}
