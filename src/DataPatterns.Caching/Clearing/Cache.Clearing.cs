using System.Buffers.Binary;

namespace DataPatterns.Caching;

// Clearing a whole cache: this instance's memory at once, L2 by the clear marker (see DistributedLevel.Clearing), the
// other instances' memory by a Clear message that carries the clear time.
internal sealed partial class Cache<TKey, TValue>
{
    private long _pendingClearMs;

    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        var clearedAt = NowMs();
        ForgetEverything();
        if (_distributed is not null)
        {
            if (await _distributed.WriteClearMarkerAsync(clearedAt, cancellationToken).ConfigureAwait(false))
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
        foreach (var key in _inFlight.Keys)
        {
            InvalidateInFlight(key);
        }

        _memory?.Clear();
    }

    /// <summary>Another instance cleared the cache: its message carries the clear time (none from an older sender: read it).</summary>
    private void OnClearMessage(CacheInvalidation invalidation)
    {
        ForgetEverything();
        if (_distributed is null)
        {
            return;
        }

        if (invalidation.Key.Length == 8)
        {
            _distributed.ObserveClear(BinaryPrimitives.ReadInt64LittleEndian(invalidation.Key.Span));
        }
        else
        {
            _distributed.StartClearMarkerRead();
        }
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

        if (!await _distributed!.WriteClearMarkerAsync(Math.Max(pending, _distributed.ClearedAtMs), CancellationToken.None).ConfigureAwait(false))
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _pendingClearMs, 0, pending) == pending)
        {
            Interlocked.Decrement(ref _repairsPending);
            _metrics.Repairs.Add(1, _cacheTag);
        }

        return true;
    }
}
