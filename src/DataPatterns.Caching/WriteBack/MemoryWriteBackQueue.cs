namespace DataPatterns.Caching;

/// <summary>
/// The in-memory write-behind queue: one pending write per key (a later write replaces an earlier one: last write wins),
/// at most <see cref="WriteBackOptions.Capacity"/> keys (writers wait beyond that), flushed in batches.
/// </summary>
internal sealed class MemoryWriteBackQueue<TKey, TValue> : IWriteBackQueue<TKey, TValue>
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<TKey, Pending> _pending = new();
    private readonly Dictionary<TKey, Pending> _writing = new();
    private readonly WriteBackOptions _options;
    private readonly WriteBackFlusher<TKey, TValue> _flusher;
    private long _depth;
    private TaskCompletionSource _space = NewSignal();
    private TaskCompletionSource _work = NewSignal();

    public MemoryWriteBackQueue(WriteBackOptions options, WriteBackFlusher<TKey, TValue> flusher, TimeProvider time)
    {
        _options = options;
        _flusher = flusher;
        _time = time;
    }

    public Task WorkAvailable
    {
        get
        {
            lock (_lock)
            {
                return _work.Task;
            }
        }
    }

    public long Depth => Interlocked.Read(ref _depth);

    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count == 0 && _writing.Count == 0;
            }
        }
    }

    public async ValueTask EnqueueAsync(TKey key, TValue value, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task waitForSpace;
            lock (_lock)
            {
                if (_pending.TryGetValue(key, out var existing))
                {
                    existing.Value = value;
                    existing.Version = WriteBackVersion.Next(_time);
                    existing.Attempts = 0;
                    return;
                }

                if (_pending.Count + _writing.Count < _options.Capacity || _writing.ContainsKey(key))
                {
                    _pending.Add(key, new Pending(value, WriteBackVersion.Next(_time)));
                    if (!_writing.ContainsKey(key))
                    {
                        _depth++;
                    }

                    if (_pending.Count >= _options.BatchSize)
                    {
                        _work.TrySetResult();
                    }

                    return;
                }

                _work.TrySetResult(); // full: flush now
                waitForSpace = _space.Task;
            }

            await waitForSpace.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public bool TryGetPending(TKey key, out TValue value)
    {
        lock (_lock)
        {
            if (_pending.TryGetValue(key, out var pending) || _writing.TryGetValue(key, out pending))
            {
                value = pending.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    public async ValueTask<bool> FlushOnceAsync(CancellationToken cancellationToken)
    {
        var allWritten = true;
        while (true)
        {
            var batch = TakeBatch();
            if (batch.Count == 0)
            {
                return allWritten;
            }

            var writes = new WriteBackEntry<TKey, TValue>[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                writes[i] = new(batch[i].Key, batch[i].Value.Value, batch[i].Value.Version);
            }

            Exception?[] results;
            try
            {
                results = await _flusher.WriteAsync(writes, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Return(batch, null);
                throw;
            }

            var failed = Return(batch, results);
            foreach (var (key, pending, failure) in failed.DeadLetters)
            {
                await _flusher.DeadLetterAsync(key, pending.Value, pending.Attempts, failure, cancellationToken).ConfigureAwait(false);
            }

            if (failed.Retried > 0)
            {
                var delay = _flusher.RetryDelay(failed.MaxAttempt);
                _flusher.ReportRetry(failed.Retried, failed.MaxAttempt, delay, failed.LastFailure!);
                return false; // stop this round; the caller waits (back-off) before the next one
            }

            allWritten &= failed.DeadLetters.Count == 0;
        }
    }

    /// <summary>The back-off before the next round after a failed one.</summary>
    public TimeSpan RetryDelay => _flusher.RetryDelay(MaxPendingAttempts());

    private int MaxPendingAttempts()
    {
        lock (_lock)
        {
            return _pending.Values.Select(p => p.Attempts).DefaultIfEmpty(0).Max();
        }
    }

    private List<KeyValuePair<TKey, Pending>> TakeBatch()
    {
        lock (_lock)
        {
            var batch = new List<KeyValuePair<TKey, Pending>>(Math.Min(_pending.Count, _options.BatchSize));
            foreach (var pair in _pending)
            {
                if (batch.Count == _options.BatchSize)
                {
                    break;
                }

                batch.Add(pair);
            }

            foreach (var (key, pending) in batch)
            {
                _pending.Remove(key);
                _writing[key] = pending;
            }

            if (_pending.Count < _options.BatchSize && _work.Task.IsCompleted)
            {
                _work = NewSignal();
            }

            return batch;
        }
    }

    private ReturnResult Return(List<KeyValuePair<TKey, Pending>> batch, Exception?[]? results)
    {
        var result = new ReturnResult();
        lock (_lock)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var (key, pending) = batch[i];
                _writing.Remove(key);
                var failure = results is null ? null : results[i];
                var cancelled = results is null;
                var newer = _pending.ContainsKey(key);
                if (failure is null && !cancelled)
                {
                    if (!newer)
                    {
                        _depth--;
                    }

                    continue;
                }

                if (newer)
                {
                    continue; // a later write replaces this one: last write wins
                }

                if (!cancelled)
                {
                    pending.Attempts++;
                    result.LastFailure = failure;
                    if (pending.Attempts >= _options.MaxAttempts)
                    {
                        _depth--;
                        result.DeadLetters.Add((key, pending, failure!));
                        continue;
                    }

                    result.Retried++;
                    result.MaxAttempt = Math.Max(result.MaxAttempt, pending.Attempts);
                }

                _pending[key] = pending;
            }

            if (_pending.Count + _writing.Count < _options.Capacity)
            {
                _space.TrySetResult();
                _space = NewSignal();
            }
        }

        return result;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Pending(TValue value, long version)
    {
        public TValue Value { get; set; } = value;

        public long Version { get; set; } = version;

        public int Attempts { get; set; }
    }

    private sealed class ReturnResult
    {
        public List<(TKey Key, Pending Pending, Exception Failure)> DeadLetters { get; } = [];

        public int Retried { get; set; }

        public int MaxAttempt { get; set; }

        public Exception? LastFailure { get; set; }
    }
}
