using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// Group commit for one write-back stream: appends from concurrent writers share round trips. At most
/// <see cref="RedisWriteBackBatchLimits.MaxInFlight"/> batches per stream are in flight; an append that finds a free
/// slot is sent at once (no timer, no delay for a lone writer), and appends that arrive while the slots are taken wait
/// and then go together as the next batch (one script call, and one WAIT / WAITAOF when acknowledgement is required),
/// in the order they arrived.
/// </summary>
/// <remarks>
/// <para>
/// Each caller's task completes only with its own entry's outcome: its stream id once the whole batch is appended (and
/// acknowledged by WAIT when required), or the batch's exception. A failed batch fails every caller in it, so nothing is
/// reported as written that was not ("acknowledged means durable" holds exactly as for one append per round trip).
/// </para>
/// <para>
/// Cancellation: an append cancelled while it waits for the batch in flight is taken off the waiting list and never sent
/// (its caller gets <see cref="OperationCanceledException"/>). Once its batch is sent, cancellation no longer applies: the
/// caller waits for the outcome (bounded by the command timeout and <see cref="RedisWriteBackDurabilityOptions.ReplicaTimeout"/>),
/// because the entry may be in the stream whatever the caller does.
/// </para>
/// <para>
/// Bounded: nothing else bounds how many callers wait at once (the durable queue's capacity bounds the stream's length,
/// checked every hundred appends, not the callers in flight), so past <see cref="RedisWriteBackBatchLimits.MaxWaitingEntries"/>
/// entries or <see cref="RedisWriteBackBatchLimits.MaxWaitingBytes"/> bytes an append is refused at once with the
/// retryable <see cref="WriteBackUnavailableException"/>.
/// </para>
/// </remarks>
internal sealed class RedisWriteBackGroupCommit
{
    private readonly RedisWriteBackAppender _appender;
    private readonly RedisKey _stream;
    private readonly RedisWriteBackBatchLimits _limits;
    private readonly Lock _lock = new();
    private readonly LinkedList<Pending> _waiting = new();
    private long _waitingBytes;
    private int _inFlight;

    public RedisWriteBackGroupCommit(RedisWriteBackAppender appender, RedisKey stream, RedisWriteBackBatchLimits limits)
    {
        _appender = appender;
        _stream = stream;
        _limits = limits;
    }

    /// <summary>Queues one append and returns its stream id once its batch is appended (and acknowledged when required).</summary>
    public Task<string> AppendAsync(IConnectionMultiplexer multiplexer, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new Pending(this, multiplexer, key, value);

        // Registered before the entry is listed, so every completion finds the registration to dispose.
        pending.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Pending)state!).Owner.Cancel((Pending)state!, token), pending);
        List<Pending>? first = null;
        var refused = false;
        lock (_lock)
        {
            if (pending.State == PendingState.Cancelled || _waiting.Count >= _limits.MaxWaitingEntries || _waitingBytes + pending.Bytes > _limits.MaxWaitingBytes)
            {
                refused = true;
            }
            else
            {
                pending.Node = _waiting.AddLast(pending);
                pending.State = PendingState.Waiting;
                _waitingBytes += pending.Bytes;
                if (_inFlight < _limits.MaxInFlight)
                {
                    first = TakeBatch();
                    _inFlight++;
                }
            }
        }

        if (refused)
        {
            // Outside the lock: disposing waits for a cancellation callback that may be waiting for the lock.
            pending.Registration.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw new WriteBackUnavailableException(
                $"The write-back stream '{_stream}' already has the most appends one process may queue for it waiting for Redis ({_limits.MaxWaitingEntries} appends or {_limits.MaxWaitingBytes} bytes); the write was not queued. Retry it once Redis answers again.");
        }

        if (first is not null)
        {
            StartDraining(first);
        }

        return pending.Completion.Task;
    }

    /// <summary>
    /// Sends <paramref name="first"/> now, on this caller's thread; the loop goes on from the replies (on Redis's
    /// completion threads), sending whatever gathered meanwhile. It never throws: each entry carries its outcome. It
    /// serves every later caller, so it does not carry this caller's execution context (activity, logging scopes).
    /// </summary>
    private void StartDraining(List<Pending> first)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            _ = DrainAsync(first);
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            _ = DrainAsync(first);
        }
    }

    private async Task DrainAsync(List<Pending> first)
    {
        var batch = first;
        var sending = _appender.AppendBatchAsync(batch[0].Multiplexer, _stream, batch);
        while (true)
        {
            string[]? ids = null;
            Exception? failure = null;
            try
            {
                ids = await sending.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            // The appends that gathered meanwhile go before this batch's callers are told: their round trip overlaps
            // the callers' continuations. This batch's reply (and WAIT) is in, so its slot passes to the next one.
            List<Pending>? next;
            lock (_lock)
            {
                next = TakeBatch();
                if (next is null)
                {
                    _inFlight--;
                }
            }

            if (next is not null)
            {
                sending = _appender.AppendBatchAsync(next[0].Multiplexer, _stream, next);
            }

            Complete(batch, ids, failure);
            if (next is null)
            {
                return;
            }

            batch = next;
        }
    }

    /// <summary>Gives each caller its own id, or the batch's exception to every caller: none is reported as written then.</summary>
    private static void Complete(List<Pending> batch, string[]? ids, Exception? failure)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Registration.Dispose();
            if (failure is null)
            {
                batch[i].Completion.TrySetResult(ids![i]);
            }
            else
            {
                batch[i].Completion.TrySetException(failure);
            }
        }
    }

    /// <summary>Under the lock: the oldest waiting entries, up to the batch limits, on one multiplexer; null when none wait.</summary>
    private List<Pending>? TakeBatch()
    {
        if (_waiting.First is not { } node)
        {
            return null;
        }

        var batch = new List<Pending>(Math.Min(_waiting.Count, _limits.MaxBatchEntries));
        long bytes = 0;
        var multiplexer = node.Value.Multiplexer;
        while (node is not null
            && batch.Count < _limits.MaxBatchEntries
            && (batch.Count == 0 || bytes + node.Value.Bytes <= _limits.MaxBatchBytes)
            && ReferenceEquals(node.Value.Multiplexer, multiplexer))
        {
            var pending = node.Value;
            node = node.Next;
            _waiting.Remove(pending.Node!);
            pending.Node = null;
            pending.State = PendingState.Taken; // cancellation no longer removes it
            _waitingBytes -= pending.Bytes;
            bytes += pending.Bytes;
            batch.Add(pending);
        }

        return batch;
    }

    private void Cancel(Pending pending, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var state = pending.State;
            pending.State = state == PendingState.Taken ? state : PendingState.Cancelled;
            if (state != PendingState.Waiting)
            {
                return; // taken: its outcome is what it is; not listed yet: AppendAsync refuses it
            }

            _waiting.Remove(pending.Node!);
            pending.Node = null;
            _waitingBytes -= pending.Bytes;
        }

        pending.Completion.TrySetCanceled(cancellationToken);
    }

    /// <summary>One caller's append: its data, where it waits, and the task its caller awaits.</summary>
    private enum PendingState
    {
        New,
        Waiting,
        Taken,
        Cancelled,
    }

    private sealed class Pending(RedisWriteBackGroupCommit owner, IConnectionMultiplexer multiplexer, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
        : RedisWriteBackBatchEntry(key, value)
    {
        public RedisWriteBackGroupCommit Owner { get; } = owner;

        public IConnectionMultiplexer Multiplexer { get; } = multiplexer;

        // Callers' continuations run on the thread pool, not on the thread completing the batch (which sends the next one).
        public TaskCompletionSource<string> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }

        /// <summary>Changed under the owner's lock only.</summary>
        public PendingState State { get; set; }

        /// <summary>Its place in the waiting list; null once taken into a batch (or cancelled).</summary>
        public LinkedListNode<Pending>? Node { get; set; }
    }
}
