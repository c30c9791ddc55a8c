using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Caching.Distributed;

namespace DataPatterns.Caching;

// The clear marker: one key per cache, `{application}:{cache}:clear`, holding when the cache was last cleared (Unix
// milliseconds). Entries written at or before that time read as absent, so a clear costs one write however many entries
// L2 holds (no SCAN, no DEL); they expire by their own TTL. Every instance keeps the time in memory: read before its
// first L2 read, raised by its own clears and by the backplane's Clear messages, and read again after a backplane
// reconnect, or every ClearPollInterval by a cache that hears no backplane (a timer: memory hits never look at L2).
internal sealed partial class DistributedLevel<TValue>
{
    /// <summary>How often a cache that hears no backplane looks for other instances' clears.</summary>
    public static readonly TimeSpan ClearPollInterval = TimeSpan.FromSeconds(1);

    private readonly string _clearKey;
    private long _clearedAtMs;
    private long _clearReadAt;
    private int _clearReading;

    /// <summary>Called when the clear time rises through a read of the marker (another instance cleared the cache).</summary>
    public Action? ClearObserved { get; set; }

    /// <summary>When the cache was last cleared, as this instance knows it (0: never).</summary>
    public long ClearedAtMs => Volatile.Read(ref _clearedAtMs);

    /// <summary>Raises the known clear time to <paramref name="clearedAtMs"/>; true when it rose.</summary>
    public bool ObserveClear(long clearedAtMs)
    {
        var known = Volatile.Read(ref _clearedAtMs);
        while (clearedAtMs > known)
        {
            var seen = Interlocked.CompareExchange(ref _clearedAtMs, clearedAtMs, known);
            if (seen == known)
            {
                return true;
            }

            known = seen;
        }

        return false;
    }

    /// <summary>Records that every entry written until <paramref name="clearedAtMs"/> is gone; false when the level failed (reported).</summary>
    public async ValueTask<bool> WriteClearMarkerAsync(long clearedAtMs, CancellationToken cancellationToken)
    {
        ObserveClear(clearedAtMs);
        var data = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(data, ClearedAtMs); // never below a clear this instance has heard of
        try
        {
            // No expiry: the marker must outlive every entry written before it, whatever lifetime a loader gave one.
            await _cache.SetAsync(_clearKey, data, new DistributedCacheEntryOptions(), cancellationToken).WithTimeout(_timeout, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Report("clear", ex);
            return false;
        }
    }

    /// <summary>Reads the marker again in the background (after a reconnect, or a Clear message without a time).</summary>
    public void StartClearMarkerRead()
    {
        if (Interlocked.CompareExchange(ref _clearReading, 1, 0) != 0)
        {
            return;
        }

        _ = ReadInBackgroundAsync();

        async Task ReadInBackgroundAsync()
        {
            try
            {
                await ReadClearMarkerAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _clearReading, 0);
            }
        }
    }

    /// <summary>Whether this instance has read the marker (only then may it serve an entry from L2).</summary>
    private bool ClearMarkerKnown() => Volatile.Read(ref _clearReadAt) != 0;

    /// <summary>
    /// For a cache that hears no backplane: reads the marker every <see cref="ClearPollInterval"/>, so another
    /// instance's clear reaches this one's memory and L2 reads within about that time.
    /// </summary>
    public ITimer StartPollingClearMarker() =>
        _time.CreateTimer(static state => ((DistributedLevel<TValue>)state!).StartClearMarkerRead(), this, ClearPollInterval, ClearPollInterval);

    /// <summary>
    /// Reads the marker; false when the level failed (reported). A marker that is not 8 bytes was not written by this
    /// library: it reads as "cleared now", so entries are reloaded rather than trusted.
    /// </summary>
    private async ValueTask<bool> ReadClearMarkerAsync(CancellationToken cancellationToken)
    {
        byte[]? data;
        try
        {
            // Bounded as an entry read is: by the store itself when it says it fails reads soon enough, else here.
            var read = ReadMarkerBytesAsync(cancellationToken);
            data = await (StoreBoundsReads() ? read : read.WithTimeout(_timeout, _time, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Report("clear", ex);
            return false;
        }

        var clearedAt = data switch
        {
            null => 0,
            { Length: 8 } => BinaryPrimitives.ReadInt64LittleEndian(data),
            _ => _time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        Volatile.Write(ref _clearReadAt, Math.Max(_time.GetTimestamp(), 1));
        if (ObserveClear(clearedAt))
        {
            ClearObserved?.Invoke();
        }

        return true;
    }

    /// <summary>The marker's bytes, through the store's buffered read when it has one (as every entry is read).</summary>
    private async Task<byte[]?> ReadMarkerBytesAsync(CancellationToken cancellationToken)
    {
        if (_buffered is null)
        {
            return await _cache.GetAsync(_clearKey, cancellationToken).ConfigureAwait(false);
        }

        var buffer = new ArrayBufferWriter<byte>(16);
        return await _buffered.TryGetAsync(_clearKey, buffer, cancellationToken).ConfigureAwait(false) ? buffer.WrittenSpan.ToArray() : null;
    }

    /// <summary>Whether <paramref name="entry"/> was written at or before the last clear.</summary>
    private bool IsCleared(DistributedEntry<TValue>? entry)
    {
        var clearedAt = Volatile.Read(ref _clearedAtMs);
        return entry is not null && clearedAt != 0 && entry.CreatedAtMs <= clearedAt;
    }
}
