using DataPatterns.Resilience;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching;

/// <summary>
/// Writes batches to the writer: one call per batch; when a batch fails, each write is tried on its own so a single
/// poisonous write cannot hold back the others, and a write that failed <see cref="WriteBackOptions.MaxAttempts"/> times
/// goes to the dead letter.
/// </summary>
internal sealed class WriteBackFlusher<TKey, TValue>
{
    private readonly string _cacheName;
    private readonly WriteBackOptions _options;
    private readonly Func<IServiceProvider, ICacheWriter<TKey, TValue>> _writerFactory;
    private readonly Func<IServiceProvider, IWriteBackDeadLetterHandler<TKey, TValue>?> _deadLetterFactory;
    private readonly IServiceScopeFactory _scopes;
    private readonly CachingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly KeyValuePair<string, object?> _cacheTag;
    private readonly WriteBackStatus _status;

    public WriteBackFlusher(
        string cacheName,
        WriteBackOptions options,
        Func<IServiceProvider, ICacheWriter<TKey, TValue>> writerFactory,
        Func<IServiceProvider, IWriteBackDeadLetterHandler<TKey, TValue>?> deadLetterFactory,
        IServiceScopeFactory scopes,
        CachingMetrics metrics,
        ILogger logger,
        TimeProvider time,
        WriteBackStatus status)
    {
        _status = status;
        _cacheName = cacheName;
        _options = options;
        _writerFactory = writerFactory;
        _deadLetterFactory = deadLetterFactory;
        _scopes = scopes;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _cacheTag = new("datapatterns.cache.name", cacheName);
    }

    /// <summary>Writes <paramref name="batch"/>; returns, per entry, null when written or the failure.</summary>
    public async ValueTask<Exception?[]> WriteAsync(IReadOnlyList<WriteBackEntry<TKey, TValue>> batch, CancellationToken cancellationToken)
    {
        var results = new Exception?[batch.Count];
        if (batch.Count == 0)
        {
            return results;
        }

        using var activity = CachingMetrics.ActivitySource.StartActivity("cache.writeback.flush");
        activity?.SetTag("datapatterns.cache.name", _cacheName);
        activity?.SetTag("datapatterns.cache.batch_size", batch.Count);
        var started = _time.GetTimestamp();
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var writer = _writerFactory(scope.ServiceProvider);
            try
            {
                await WriteBatchAsync(writer, batch, cancellationToken).ConfigureAwait(false);
                _metrics.FlushBatchSize.Record(batch.Count, _cacheTag);
                _metrics.FlushDuration.Record(_time.GetElapsedTime(started).TotalSeconds, _cacheTag);
                _status.BatchWritten(_time.GetUtcNow());
                return results;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                _metrics.FlushFailures.Add(1, _cacheTag);
                _status.FlushFailed(_time.GetUtcNow(), ex);
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                if (batch.Count == 1)
                {
                    results[0] = ex;
                    return results;
                }
            }

            // The batch failed: find the writes that fail on their own.
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    await WriteBatchAsync(writer, [batch[i]], cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    results[i] = ex;
                }
            }

            return results;
        }
    }

    private static ValueTask WriteBatchAsync(ICacheWriter<TKey, TValue> writer, IReadOnlyList<WriteBackEntry<TKey, TValue>> batch, CancellationToken cancellationToken) =>
        writer is IVersionedCacheWriter<TKey, TValue> versioned
            ? versioned.WriteVersionedBatchAsync(batch, cancellationToken)
            : writer.WriteBatchAsync([.. batch.Select(entry => new KeyValuePair<TKey, TValue>(entry.Key, entry.Value))], cancellationToken);

    public async ValueTask DeadLetterAsync(TKey key, TValue value, int attempts, Exception failure, CancellationToken cancellationToken)
    {
        _metrics.DeadLetters.Add(1, _cacheTag);
        _status.DeadLettered();
        CachingLog.DeadLettered(_logger, _cacheName, attempts, failure);
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            if (_deadLetterFactory(scope.ServiceProvider) is { } handler)
            {
                await handler.HandleAsync(_cacheName, key, value, failure, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public TimeSpan RetryDelay(int attempt) => ExponentialBackoff.Delay(attempt, _options.RetryDelay, _options.MaxRetryDelay);

    public void ReportRetry(int count, int attempt, TimeSpan delay, Exception failure) =>
        CachingLog.FlushFailed(_logger, _cacheName, count, attempt, delay, failure);
}
