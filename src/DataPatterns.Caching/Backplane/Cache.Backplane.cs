namespace DataPatterns.Caching;

// The backplane: invalidations from other instances, resynchronisation after a reconnect, and publishing our own.
internal sealed partial class Cache<TKey, TValue>
{
    public void OnInvalidation(CacheInvalidation invalidation)
    {
        if (!string.Equals(invalidation.CacheName, Name, StringComparison.Ordinal) || _memory is null)
        {
            return;
        }

        switch (invalidation.Kind)
        {
            case CacheInvalidationKind.Key:
                TKey? key;
                try
                {
                    key = _keySerializer.Deserialize(invalidation.Key.Span);
                }
                catch (Exception ex)
                {
                    CachingLog.InvalidationUnreadable(_logger, Name, ex);
                    _memory.Clear(); // cannot tell which key: drop everything rather than serve a stale value
                    return;
                }

                if (key is not null)
                {
                    InvalidateInFlight(key);
                    _memory.Remove(key);
                }

                break;
            case CacheInvalidationKind.Tag when invalidation.Tag is not null:
                // As for a local tag removal: a load in flight may have read before the other instance's change, so it
                // must not put its value in memory after this message has emptied the tag.
                foreach (var inFlight in _inFlight.Keys)
                {
                    InvalidateInFlight(inFlight);
                }

                Interlocked.Increment(ref _invalidations);
                _memory.RemoveByTag(invalidation.Tag);
                break;
            case CacheInvalidationKind.Clear:
                OnClearMessage(invalidation);
                break;
            default:
                _memory.Clear();
                break;
        }
    }

    public void OnResynchronize()
    {
        if (_memory is null)
        {
            return;
        }

        _memory.Clear();
        _distributed?.StartClearMarkerRead(); // a Clear message may have been lost too
        CachingLog.Resynchronized(_logger, Name);
        StartRepair(); // the connection is back: delete what failed writes left in L2
    }

    private async ValueTask PublishAsync(CacheInvalidation invalidation)
    {
        if (_backplane is null)
        {
            return;
        }

        try
        {
            await _backplane.PublishAsync(invalidation, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _metrics.LevelErrors.Add(1, _cacheTag, new KeyValuePair<string, object?>("datapatterns.cache.level", "backplane"));
            CachingLog.BackplanePublishFailed(_logger, Name, ex);
        }
    }
}
