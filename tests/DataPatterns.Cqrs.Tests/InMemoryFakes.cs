using DataPatterns.Cqrs;

namespace DataPatterns.Cqrs.Tests;

/// <summary>An event log in memory: every appended event is committed at once.</summary>
internal sealed class InMemoryEventSource : IEventSource
{
    private readonly List<EventEnvelope> _events = [];
    private readonly Lock _lock = new();

    public void Append(string type, string stream, string payload)
    {
        lock (_lock)
        {
            _events.Add(new EventEnvelope(new EventPosition(0, _events.Count + 1), type, stream, payload, DateTimeOffset.UnixEpoch));
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _events.Count;
            }
        }
    }

    public ValueTask<EventBatch> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(new EventBatch([.. _events.Where(e => e.Position > after).Take(maxCount)], false));
        }
    }

    public ValueTask<EventLag> GetLagAsync(EventPosition checkpoint, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var behind = _events.Where(e => e.Position > checkpoint).ToList();
            return ValueTask.FromResult(new EventLag(behind.Count, behind.Count == 0 ? null : behind[0].CreatedAt));
        }
    }

    public async ValueTask WaitForEventsAsync(TimeSpan maxWait, CancellationToken cancellationToken) =>
        await Task.Delay(1, cancellationToken);
}

/// <summary>What an in-memory projection writes to: a staging list committed only when the whole batch succeeds.</summary>
internal sealed class InMemoryContext
{
    public List<EventEnvelope> Staged { get; } = [];
}

/// <summary>A store in memory: commits staging + checkpoint atomically, checks the fencing token, keeps dead letters.</summary>
internal sealed class InMemoryStore : IProjectionStore, IProjectionLeases, IDeadLetterStore
{
    private readonly Lock _lock = new();

    public List<EventEnvelope> Applied { get; } = [];

    public List<DeadLetter> DeadLetters { get; } = [];

    public EventPosition Checkpoint { get; private set; }

    public string? LeaseHolder { get; set; }

    public long Token { get; set; }

    /// <summary>Failures to inject: each call to CommitBatchAsync with events throws the next one, if any.</summary>
    public Queue<Exception> TransientFailures { get; } = new();

    public bool CanRun(IProjection projection, out string reason)
    {
        reason = "implement IProjection<InMemoryContext>";
        return projection is IProjection<InMemoryContext>;
    }

    public ValueTask<ProjectionGenerations> OpenAsync(IProjection projection, long fencingToken, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(new ProjectionGenerations(new GenerationState(1, Checkpoint), null));
        }
    }

    public async ValueTask CommitBatchAsync(ProjectionBatch batch, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        lock (_lock)
        {
            TransientFailures.TryDequeue(out failure);
        }

        if (failure is not null)
        {
            throw failure;
        }

        var context = new InMemoryContext();
        if (batch.Events.Count > 0)
        {
            await ((IProjection<InMemoryContext>)batch.Projection).ApplyAsync(batch.Events, context, cancellationToken);
        }

        lock (_lock)
        {
            if (batch.FencingToken != Token || batch.From != Checkpoint)
            {
                throw new LeadershipLostException("fenced");
            }

            Applied.AddRange(context.Staged);
            DeadLetters.AddRange(batch.DeadLetters);
            Checkpoint = batch.To;
        }
    }

    public ValueTask SwitchToAsync(IProjection projection, int generation, long fencingToken, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<int> RequestRebuildAsync(string projectionName, CancellationToken cancellationToken) => ValueTask.FromResult(2);

    public bool IsTransient(Exception exception) => exception is TimeoutException;

    public ValueTask<long?> TryAcquireAsync(string projectionName, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (LeaseHolder is null || LeaseHolder == holder)
            {
                if (LeaseHolder is null)
                {
                    Token++;
                }

                LeaseHolder = holder;
                return ValueTask.FromResult<long?>(Token);
            }

            return ValueTask.FromResult<long?>(null);
        }
    }

    public ValueTask ReleaseAsync(string projectionName, string holder, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (LeaseHolder == holder)
            {
                LeaseHolder = null;
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<DeadLetter>> GetAsync(string projectionName, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<DeadLetter>>([.. DeadLetters]);
        }
    }

    public int AppliedCount
    {
        get
        {
            lock (_lock)
            {
                return Applied.Count;
            }
        }
    }
}

/// <summary>Stages every "item" event; throws on payload "poison".</summary>
internal sealed class ItemsProjection(string name = "items", params string[] eventTypes) : IProjection<InMemoryContext>
{
    public string Name { get; } = name;

    public IReadOnlyCollection<string> EventTypes { get; } = eventTypes.Length == 0 ? ["item"] : eventTypes;

    public ValueTask InitializeAsync(InMemoryContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, InMemoryContext context, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            if (e.Payload == "poison")
            {
                throw new InvalidDataException($"poison at {e.Position}");
            }

            context.Staged.Add(e);
        }

        return ValueTask.CompletedTask;
    }
}
