using DataPatterns.Cqrs;

namespace DataPatterns.Samples.Shop.Embedded;

/// <summary>
/// The embedded mode's event source: events enter only when the transaction that wrote them commits, under the
/// database's commit lock, so positions grow in commit order and a reader can never skip one still in flight.
/// </summary>
public sealed class EmbeddedEventLog(TimeProvider time) : IEventSource
{
    private readonly Lock _gate = new();
    private readonly List<EventEnvelope> _events = [];
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Appends committed events (called from the payments database's commit).</summary>
    public void Append(IEnumerable<EmbeddedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        TaskCompletionSource appended;
        lock (_gate)
        {
            foreach (var (streamId, eventType, payload) in events)
            {
                var position = _events.Count + 1;
                _events.Add(new EventEnvelope(new EventPosition(position, position), eventType, streamId, payload, time.GetUtcNow()));
            }

            appended = _appended;
            _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        appended.TrySetResult();
    }

    /// <inheritdoc />
    public ValueTask<EventBatch> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var start = (int)Math.Min(after.Sequence, _events.Count);
            var count = Math.Min(maxCount, _events.Count - start);
            return ValueTask.FromResult(new EventBatch(_events.GetRange(start, count), HasPending: false));
        }
    }

    /// <inheritdoc />
    public ValueTask<EventLag> GetLagAsync(EventPosition checkpoint, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var next = (int)Math.Min(checkpoint.Sequence, _events.Count);
            return ValueTask.FromResult(next == _events.Count
                ? new EventLag(0, null)
                : new EventLag(_events.Count - next, _events[next].CreatedAt));
        }
    }

    /// <inheritdoc />
    public async ValueTask WaitForEventsAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        Task appended;
        lock (_gate)
        {
            appended = _appended.Task;
        }

        try
        {
            await appended.WaitAsync(maxWait, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The safety-net poll: read again anyway.
        }
    }
}
