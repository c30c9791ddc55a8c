using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching;

/// <summary>
/// The durable write-behind queue: writes go to an <see cref="IWriteBackStore"/> (a Redis stream) before the call returns,
/// so a process killed before flushing loses nothing; any instance flushes them, coalescing repeated writes to a key
/// within a batch (last write wins) and acknowledging them only after the writer succeeded.
/// </summary>
internal sealed class DurableWriteBackQueue<TKey, TValue> : IWriteBackQueue<TKey, TValue>
    where TKey : notnull
{
    private const int LengthCheckEvery = 100;
    private readonly string _cacheName;
    private readonly IWriteBackStore _store;
    private readonly WriteBackOptions _options;
    private readonly WriteBackFlusher<TKey, TValue> _flusher;
    private readonly ICacheSerializer<TKey> _keySerializer;
    private readonly ICacheSerializer<TValue> _valueSerializer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _appendedSinceCheck;
    private int _appendedSinceFlush;
    private long _depth;
    private TaskCompletionSource _work = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DurableWriteBackQueue(
        string cacheName,
        IWriteBackStore store,
        WriteBackOptions options,
        WriteBackFlusher<TKey, TValue> flusher,
        ICacheSerializer<TKey> keySerializer,
        ICacheSerializer<TValue> valueSerializer,
        TimeProvider time,
        ILogger logger)
    {
        _cacheName = cacheName;
        _store = store;
        _options = options;
        _flusher = flusher;
        _keySerializer = keySerializer;
        _valueSerializer = valueSerializer;
        _time = time;
        _logger = logger;
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

    public bool IsEmpty => false; // other instances' writes may be waiting; the store decides

    public async ValueTask EnqueueAsync(TKey key, TValue value, CancellationToken cancellationToken)
    {
        var keyBytes = CacheKeyFormatter.Serialize(key, _keySerializer, "key");
        var valueBytes = CacheKeyFormatter.Serialize(value, _valueSerializer, "value");
        try
        {
            if (Interlocked.Increment(ref _appendedSinceCheck) >= LengthCheckEvery)
            {
                Interlocked.Exchange(ref _appendedSinceCheck, 0);
                while (await ReadLengthAsync(cancellationToken).ConfigureAwait(false) >= _options.Capacity)
                {
                    SignalWork();
                    await Task.Delay(Min(_options.FlushInterval, TimeSpan.FromMilliseconds(100)), _time, cancellationToken).ConfigureAwait(false);
                }
            }

            await _store.AppendAsync(_cacheName, keyBytes, valueBytes, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _depth);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new WriteBackUnavailableException(
                $"Cache '{_cacheName}': the write could not be queued in the durable write-back queue ({ex.Message}). It was not cached; retry when the queue's store (Redis) is reachable.",
                ex);
        }

        if (Interlocked.Increment(ref _appendedSinceFlush) >= _options.BatchSize)
        {
            SignalWork();
        }
    }

    public bool TryGetPending(TKey key, out TValue value)
    {
        value = default!;
        return false;
    }

    public async ValueTask<bool> FlushOnceAsync(CancellationToken cancellationToken)
    {
        ResetWork();
        await ReadLengthAsync(cancellationToken).ConfigureAwait(false); // other instances append to the same stream
        while (true)
        {
            var records = await _store.ReadAsync(_cacheName, _options.BatchSize, cancellationToken).ConfigureAwait(false);
            if (records.Count == 0)
            {
                await ReadLengthAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }

            var done = new List<WriteBackRecord>();
            var groups = Coalesce(records, done);
            var writes = groups.Select(g => new WriteBackEntry<TKey, TValue>(g.Key, g.Value, g.Records[^1].Version)).ToArray();
            var results = await _flusher.WriteAsync(writes, cancellationToken).ConfigureAwait(false);
            var (retried, maxAttempt, lastFailure) = await SettleAsync(groups, results, done, cancellationToken).ConfigureAwait(false);
            await AcknowledgeAsync(done, cancellationToken).ConfigureAwait(false);
            if (retried > 0)
            {
                _flusher.ReportRetry(retried, maxAttempt, _flusher.RetryDelay(maxAttempt), lastFailure!);
                return false;
            }
        }
    }

    /// <summary>
    /// The batch's writes, one per key in order of first appearance: the last record per key wins, and every record of
    /// the key is acknowledged once that one is written. Records that cannot be read back go to <paramref name="unreadable"/>.
    /// </summary>
    private List<(TKey Key, TValue Value, List<WriteBackRecord> Records)> Coalesce(IReadOnlyList<WriteBackRecord> records, List<WriteBackRecord> unreadable)
    {
        var byKey = new Dictionary<string, (int Index, TKey Key, TValue Value, List<WriteBackRecord> Records)>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            TKey? key;
            TValue? value;
            try
            {
                key = _keySerializer.Deserialize(record.Key.Span);
                value = _valueSerializer.Deserialize(record.Value.Span);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                CachingLog.DeadLettered(_logger, _cacheName, 0, ex);
                unreadable.Add(record);
                continue;
            }

            if (key is null)
            {
                unreadable.Add(record);
                continue;
            }

            var keyText = Convert.ToBase64String(record.Key.Span);
            if (byKey.TryGetValue(keyText, out var existing))
            {
                existing.Records.Add(record);
                byKey[keyText] = (existing.Index, key, value!, existing.Records);
            }
            else
            {
                byKey[keyText] = (byKey.Count, key, value!, [record]);
            }
        }

        return byKey.Values.OrderBy(g => g.Index).Select(g => (g.Key, g.Value, g.Records)).ToList();
    }

    /// <summary>
    /// Per key: written → its records are done; failed for the last allowed time → dead-lettered and done; else kept
    /// for a retry (its attempt counted against the last record's id, which stays in the stream).
    /// </summary>
    private async ValueTask<(int Retried, int MaxAttempt, Exception? LastFailure)> SettleAsync(
        List<(TKey Key, TValue Value, List<WriteBackRecord> Records)> groups, Exception?[] results, List<WriteBackRecord> done, CancellationToken cancellationToken)
    {
        var retried = 0;
        var maxAttempt = 0;
        Exception? lastFailure = null;
        for (var i = 0; i < groups.Count; i++)
        {
            var group = groups[i];
            var lastId = group.Records[^1].Id;
            if (results[i] is null)
            {
                done.AddRange(group.Records);
                ForgetAttempts(lastId);
                continue;
            }

            int attempts;
            lock (_lock)
            {
                attempts = _attempts[lastId] = _attempts.GetValueOrDefault(lastId) + 1;
            }

            if (attempts >= _options.MaxAttempts)
            {
                await _flusher.DeadLetterAsync(group.Key, group.Value, attempts, results[i]!, cancellationToken).ConfigureAwait(false);
                done.AddRange(group.Records);
                ForgetAttempts(lastId);
            }
            else
            {
                retried++;
                maxAttempt = Math.Max(maxAttempt, attempts);
                lastFailure = results[i];
            }
        }

        return (retried, maxAttempt, lastFailure);
    }

    private void ForgetAttempts(string lastId)
    {
        lock (_lock)
        {
            _attempts.Remove(lastId);
        }
    }

    private async ValueTask AcknowledgeAsync(List<WriteBackRecord> done, CancellationToken cancellationToken)
    {
        if (done.Count == 0)
        {
            return;
        }

        await _store.AcknowledgeAsync(_cacheName, done, cancellationToken).ConfigureAwait(false);
        var depth = Interlocked.Add(ref _depth, -done.Count);
        if (depth < 0)
        {
            Interlocked.CompareExchange(ref _depth, 0, depth);
        }
    }

    public TimeSpan RetryDelay
    {
        get
        {
            lock (_lock)
            {
                return _flusher.RetryDelay(_attempts.Values.DefaultIfEmpty(0).Max());
            }
        }
    }

    private async ValueTask<long> ReadLengthAsync(CancellationToken cancellationToken)
    {
        var length = await _store.GetLengthAsync(_cacheName, cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _depth, length);
        return length;
    }

    private void SignalWork()
    {
        lock (_lock)
        {
            _work.TrySetResult();
        }
    }

    private void ResetWork()
    {
        Interlocked.Exchange(ref _appendedSinceFlush, 0);
        lock (_lock)
        {
            if (_work.Task.IsCompleted)
            {
                _work = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
