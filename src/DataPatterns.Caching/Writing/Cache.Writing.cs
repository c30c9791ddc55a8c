using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching;

// Writes: set (write-through, write-back or cache-only), remove, remove by tag, warm-up and the explicit flush.
internal sealed partial class Cache<TKey, TValue>
{
    public ValueTask SetAsync(TKey key, TValue value, IReadOnlyCollection<string>? tags = null, CancellationToken cancellationToken = default) =>
        SetAsync(key, value, tags, default, cancellationToken);

    /// <summary>
    /// <see cref="SetAsync(TKey, TValue, IReadOnlyCollection{string}?, CancellationToken)"/> with per-write choices (the
    /// HybridCache adapter's entry options): a lifetime of its own, a shorter memory lifetime, or a level left out.
    /// </summary>
    internal async ValueTask SetAsync(TKey key, TValue value, IReadOnlyCollection<string>? tags, EntryWriteOptions write, CancellationToken cancellationToken)
    {
        var formatted = ValidateKey(key);
        var tagArray = ValidateTags(tags);
        var lifetime = write.Duration ?? Lifetime(isNotFound: false);
        var distributed = write.SkipDistributed ? null : _distributed;
        byte[]? encoded = null;
        DateTimeOffset keepUntil = default;
        if (distributed is not null)
        {
            var (expiresAt, keep) = DistributedTimes(lifetime, tagArray);
            keepUntil = keep;
            encoded = DistributedEntry<TValue>.Encode(value, false, expiresAt.ToUnixTimeMilliseconds(), NowMs(), tagArray, _valueSerializer); // fails before anything changes
        }

        switch (_options.WriteStrategy)
        {
            case CacheWriteStrategy.WriteThrough:
                await WriteThroughAsync(key, formatted, value, cancellationToken).ConfigureAwait(false);
                break;
            case CacheWriteStrategy.WriteBack:
                await _writeBack!.EnqueueAsync(key, value, cancellationToken).ConfigureAwait(false);
                _writeBackStatus!.Enqueued(_time.GetUtcNow());
                _writeBackWatch!.Used();
                break;
        }

        InvalidateInFlight(key);
        if (write.SkipMemory)
        {
            _memory?.Remove(key); // the older copy must not be served after this write
        }
        else
        {
            _memory?.Set(key, CreateMemoryEntry(value, isNotFound: false, tagArray, MemoryLifetime(lifetime, write.MemoryDuration)));
        }

        if (distributed is not null)
        {
            if (await distributed.SetAsync(formatted, encoded!, keepUntil, CancellationToken.None).ConfigureAwait(false))
            {
                StartRepair();
            }
            else
            {
                RememberRepair(key, formatted); // L2 (or a replica that takes over) may still hold the old value
            }
        }

        await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Key, SerializeKey(key), null)).ConfigureAwait(false);
    }

    private async ValueTask WriteThroughAsync(TKey key, string formatted, TValue value, CancellationToken cancellationToken)
    {
        try
        {
            var scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                await _writerFactory!(scope.ServiceProvider).WriteAsync(key, value, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // The database may or may not hold the value: keep no cached copy either way.
            InvalidateInFlight(key);
            _memory?.Remove(key);
            if (_distributed is not null && !await _distributed.RemoveAsync(formatted, CancellationToken.None).ConfigureAwait(false))
            {
                RememberRepair(key, formatted);
            }

            await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Key, SerializeKey(key), null)).ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask RemoveAsync(TKey key, CancellationToken cancellationToken = default)
    {
        var formatted = ValidateKey(key);
        InvalidateInFlight(key);
        _memory?.Remove(key);
        if (_distributed is not null)
        {
            if (await _distributed.RemoveAsync(formatted, cancellationToken).ConfigureAwait(false))
            {
                StartRepair();
            }
            else
            {
                RememberRepair(key, formatted);
            }
        }

        await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Key, SerializeKey(key), null)).ConfigureAwait(false);
    }

    public async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        foreach (var key in _inFlight.Keys)
        {
            InvalidateInFlight(key);
        }

        Interlocked.Increment(ref _invalidations);
        _memory?.RemoveByTag(tag);
        if (_distributed is not null)
        {
            if (await _distributed.InvalidateTagAsync(tag, (long)TagKeepFor().TotalMilliseconds, cancellationToken).ConfigureAwait(false))
            {
                StartRepair();
            }
            else
            {
                RememberTagRepair(tag);
            }
        }

        await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Tag, default, tag)).ConfigureAwait(false);
    }

    public async ValueTask WarmUpAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            try
            {
                await GetOrLoadAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                CachingLog.WarmUpFailed(_logger, Name, ex);
            }
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_writeBack is null)
        {
            return;
        }

        while (!await FlushOnceAsync(cancellationToken).ConfigureAwait(false))
        {
            await Task.Delay(_writeBack.RetryDelay, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
