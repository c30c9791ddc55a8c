using System.Buffers.Binary;

namespace DataPatterns.Caching;

// Clearing a whole cache: this instance's memory at once, L2 by the clear marker (see DistributedLevel.Clearing), the
// other instances' memory by a Clear message that carries the clear time.
internal sealed partial class Cache<TKey, TValue>
{
    private long _pendingClearMs;

    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The clear time is raised before memory is dropped: an L2 read decoded meanwhile is already judged cleared. A
        // clear heard from another instance with a later time is kept (the marker never moves back).
        _distributed?.ObserveClear(NowMs());
        var clearedAt = _distributed?.ClearedAtMs ?? NowMs();
        ForgetEverything();
        if (_distributed is not null)
        {
            // Past this point the clear has begun here: it is finished (marker, message) whatever the caller's token says.
            if (await _distributed.WriteClearMarkerAsync(clearedAt, CancellationToken.None).ConfigureAwait(false))
            {
                StartRepair();
            }
            else
            {
                RememberClearRepair(clearedAt);
            }
        }

        await PublishAsync(ClearMessage(clearedAt)).ConfigureAwait(false);
    }

    /// <summary>Drops every memory entry, and keeps loads running now from storing what they bring.</summary>
    private void ForgetEverything()
    {
        Interlocked.Increment(ref _invalidations);
        foreach (var key in _inFlight.Keys)
        {
            InvalidateInFlight(key);
        }

        _memory?.Clear();
    }

    /// <summary>Another instance cleared the cache: its message carries the clear time (none from an older sender: read it).</summary>
    private void OnClearMessage(CacheInvalidation invalidation)
    {
        if (invalidation.Key.Length == 8)
        {
            _distributed?.ObserveClear(BinaryPrimitives.ReadInt64LittleEndian(invalidation.Key.Span));
        }
        else
        {
            _distributed?.StartClearMarkerRead();
        }

        ForgetEverything();
    }

    private CacheInvalidation ClearMessage(long clearedAtMs)
    {
        var time = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(time, clearedAtMs);
        return new CacheInvalidation(Name, CacheInvalidationKind.Clear, time, null);
    }

    /// <summary>
    /// The marker could not be written: this instance already reads L2 as cleared, and the backplane told the others;
    /// the marker is written by the next repair round, for instances that start or reconnect later.
    /// </summary>
    private void RememberClearRepair(long clearedAtMs)
    {
        if (Interlocked.Exchange(ref _pendingClearMs, clearedAtMs) == 0)
        {
            Interlocked.Increment(ref _repairsPending);
        }
    }

    /// <summary>Writes a clear marker that failed before; false when the level still fails.</summary>
    private async ValueTask<bool> RepairClearAsync()
    {
        var pending = Volatile.Read(ref _pendingClearMs);
        if (pending == 0)
        {
            return true;
        }

        var clearedAt = Math.Max(pending, _distributed!.ClearedAtMs);
        if (!await _distributed.WriteClearMarkerAsync(clearedAt, CancellationToken.None).ConfigureAwait(false))
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _pendingClearMs, 0, pending) == pending)
        {
            Interlocked.Decrement(ref _repairsPending);
            _metrics.Repairs.Add(1, _cacheTag);
        }

        // The first message may have been lost with the connection, and an instance that resynchronised read the old
        // marker before this one was written: told again now.
        await PublishAsync(ClearMessage(clearedAt)).ConfigureAwait(false);
        return true;
    }
}
