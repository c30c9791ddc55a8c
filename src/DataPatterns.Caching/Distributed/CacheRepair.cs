using System.Collections.Concurrent;

namespace DataPatterns.Caching;

/// <summary>
/// Repairs of the distributed level after a failed write. When a write, remove or tag removal could not reach L2
/// (Redis down, failing over, timing out), L2 may still hold the old value for other instances, and after a failover a
/// replica may bring back a value the database no longer has. The cache remembers such keys and tags (up to
/// <see cref="MaxRepairs"/>), reads them from the loader instead of L2 meanwhile, and once L2 answers again (a later
/// successful write, or a backplane reconnect) deletes those entries and tells the other instances to drop their copies.
/// </summary>
internal sealed partial class Cache<TKey, TValue>
{
    private const int MaxRepairs = 10_000;
    private readonly ConcurrentDictionary<string, (TKey Key, long Version)> _repairKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _repairTags = new(StringComparer.Ordinal);
    private long _repairVersion;
    private int _repairsPending;
    private int _repairing;

    /// <summary>Whether L2's copy of <paramref name="formatted"/> may be wrong (a write to it failed and is not repaired yet).</summary>
    private bool AwaitsRepair(string formatted) => Volatile.Read(ref _repairsPending) != 0 && _repairKeys.ContainsKey(formatted);

    /// <summary>Whether one of <paramref name="entry"/>'s tags was removed by a tag removal that has not reached L2 yet.</summary>
    private bool TagAwaitsRepair(DistributedEntry<TValue> entry)
    {
        if (entry.Tags is not { Length: > 0 } tags || Volatile.Read(ref _repairsPending) == 0)
        {
            return false;
        }

        foreach (var tag in tags)
        {
            if (_repairTags.ContainsKey(tag))
            {
                return true;
            }
        }

        return false;
    }

    private void RememberRepair(TKey key, string formatted)
    {
        if (_repairKeys.Count >= MaxRepairs && !_repairKeys.ContainsKey(formatted))
        {
            CachingLog.RepairsFull(_logger, Name, MaxRepairs);
            return;
        }

        // Counted once per key: a second failure on the same key only bumps its version.
        var version = Interlocked.Increment(ref _repairVersion);
        if (_repairKeys.TryAdd(formatted, (key, version)))
        {
            Interlocked.Increment(ref _repairsPending);
        }
        else
        {
            _repairKeys[formatted] = (key, version);
        }
    }

    private void RememberTagRepair(string tag)
    {
        if (_repairTags.Count >= MaxRepairs && !_repairTags.ContainsKey(tag))
        {
            CachingLog.RepairsFull(_logger, Name, MaxRepairs);
            return;
        }

        var version = Interlocked.Increment(ref _repairVersion);
        if (_repairTags.TryAdd(tag, version))
        {
            Interlocked.Increment(ref _repairsPending);
        }
        else
        {
            _repairTags[tag] = version;
        }
    }

    /// <summary>Starts a repair round in the background when one is owed and none runs.</summary>
    private void StartRepair()
    {
        if (_distributed is null || Volatile.Read(ref _repairsPending) == 0 || Interlocked.CompareExchange(ref _repairing, 1, 0) != 0)
        {
            return;
        }

        _ = RepairAsync();
    }

    private async Task RepairAsync()
    {
        var repaired = 0;
        var levelFailed = false;
        try
        {
            if (!await RepairClearAsync().ConfigureAwait(false))
            {
                levelFailed = true;
                return;
            }

            foreach (var (formatted, (key, version)) in _repairKeys)
            {
                if (!await _distributed!.RemoveAsync(formatted, CancellationToken.None).ConfigureAwait(false))
                {
                    levelFailed = true;
                    return; // still failing (reported): the next successful write tries again
                }

                if (_repairKeys.TryRemove(new KeyValuePair<string, (TKey, long)>(formatted, (key, version))))
                {
                    Interlocked.Decrement(ref _repairsPending);
                    repaired++;
                }

                await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Key, SerializeKey(key), null)).ConfigureAwait(false);
            }

            foreach (var (tag, version) in _repairTags)
            {
                if (!await _distributed!.InvalidateTagAsync(tag, (long)TagKeepFor().TotalMilliseconds, CancellationToken.None).ConfigureAwait(false))
                {
                    levelFailed = true;
                    return;
                }

                if (_repairTags.TryRemove(new KeyValuePair<string, long>(tag, version)))
                {
                    Interlocked.Decrement(ref _repairsPending);
                    repaired++;
                }

                await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Tag, default, tag)).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            levelFailed = true;
            CachingLog.RepairFailed(_logger, Name, ex);
        }
        finally
        {
            if (repaired > 0)
            {
                _metrics.Repairs.Add(repaired, _cacheTag);
            }

            Volatile.Write(ref _repairing, 0);
        }

        // A repair remembered while this round ran (after it had passed that key) would otherwise wait for the next
        // successful write, and other instances would go on reading the old value from L2 meanwhile.
        if (!levelFailed)
        {
            StartRepair();
        }
    }

    /// <summary>
    /// How long a tag's invalidation stays in L2: as long as a tagged entry written before it may (see
    /// <see cref="DistributedTimes"/>, which bounds tagged entries by the cache's own lifetime).
    /// </summary>
    private TimeSpan TagKeepFor() =>
        _options.Expiration.Duration + _options.Expiration.JitterMaxDuration + (_options.FailSafe.Enabled ? _options.FailSafe.MaxStaleDuration : TimeSpan.Zero);
}
