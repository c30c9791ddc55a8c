using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching;

/// <summary>
/// The distributed level (L2) of one cache over any <see cref="IDistributedCache"/>: every call is bounded by a timeout,
/// and a failing level is reported (metrics, log) and then treated as a miss, never as an error for the reader.
/// </summary>
internal sealed partial class DistributedLevel<TValue> : IDisposable
{
    private readonly IDistributedCache _cache;
    private readonly IBufferDistributedCache? _buffered;
    private readonly DistributedReadTimeouts? _readTimeouts;
    private readonly IBoundedDistributedCache? _bounded;
    private readonly ICacheSerializer<TValue> _serializer;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly string _cacheName;
    private readonly string _prefix;
    private readonly string _tagPrefix;
    private readonly CachingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _cacheTag;

    public DistributedLevel(IDistributedCache cache, ICacheSerializer<TValue> serializer, TimeProvider time, TimeSpan timeout, string applicationName, string cacheName, CachingMetrics metrics, ILogger logger)
    {
        _cache = cache;
        _buffered = cache as IBufferDistributedCache;
        _bounded = cache as IBoundedDistributedCache;
        _readTimeouts = _buffered is not null && timeout != Timeout.InfiniteTimeSpan ? new DistributedReadTimeouts(time, timeout) : null;
        _serializer = serializer;
        _time = time;
        _timeout = timeout;
        _cacheName = cacheName;
        _prefix = CacheKeyLayout.DataPrefix(applicationName, cacheName);
        _tagPrefix = CacheKeyLayout.TagPrefix(applicationName, cacheName);
        _clearKey = CacheKeyLayout.ClearMarker(applicationName, cacheName);
        _metrics = metrics;
        _logger = logger;
        _cacheTag = new("datapatterns.cache.name", cacheName);
    }

    public string KeyOf(string formattedKey) => _prefix + formattedKey;

    /// <summary>
    /// Whether the store fails its reads itself no later than the cache would (the timeout plus the tenth its own sweep
    /// may take): then a read needs no bookkeeping here, which is measurable against a round trip of tens of microseconds.
    /// </summary>
    /// <remarks>Asked per read: a store may bound its reads only once it is connected.</remarks>
    private bool StoreBoundsReads() =>
        _bounded is { ReadBound: var bound }
        && bound != Timeout.InfiniteTimeSpan
        && bound > TimeSpan.Zero
        && bound <= _timeout + (_timeout / 10);

    /// <summary>Reads an entry; null on a miss, an unreadable entry, a tag-invalidated entry or a failing level.</summary>
    public ValueTask<DistributedEntry<TValue>?> GetAsync(string formattedKey, CancellationToken cancellationToken) =>
        !ClearMarkerKnown() ? GetAfterClearMarkerAsync(formattedKey, cancellationToken)
        : _buffered is not null ? GetBufferedAsync(_buffered, formattedKey, cancellationToken)
        : GetBytesAsync(formattedKey, cancellationToken);

    /// <summary>The first read of this instance: the cache's clear marker is read first, so no cleared entry is served.</summary>
    private async ValueTask<DistributedEntry<TValue>?> GetAfterClearMarkerAsync(string formattedKey, CancellationToken cancellationToken)
    {
        if (!await ReadClearMarkerAsync(cancellationToken).ConfigureAwait(false))
        {
            return null; // the level fails (reported): a miss, as any failing read
        }

        return _buffered is not null
            ? await GetBufferedAsync(_buffered, formattedKey, cancellationToken).ConfigureAwait(false)
            : await GetBytesAsync(formattedKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The store reads into a pooled buffer (<see cref="IBufferDistributedCache"/>): no <c>byte[]</c> per hit.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DistributedEntry<TValue>?> GetBufferedAsync(IBufferDistributedCache cache, string formattedKey, CancellationToken cancellationToken)
    {
        var buffer = DistributedReadBuffer.Rent();
        bool found;
        try
        {
            var read = cache.TryGetAsync(KeyOf(formattedKey), buffer, cancellationToken);
            var bounded = _readTimeouts is null || StoreBoundsReads() ? read : _readTimeouts.Bound(read);
            found = cancellationToken.CanBeCanceled && !bounded.IsCompleted
                ? await bounded.AsTask().WaitAsync(cancellationToken).ConfigureAwait(false)
                : await bounded.ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The read may still be running (timed out) and write into the buffer later: it is not reused.
            Report("get", ex);
            return null;
        }

        DistributedEntry<TValue>? entry;
        try
        {
            entry = found ? Decode(buffer.WrittenSpan) : null;
        }
        finally
        {
            DistributedReadBuffer.Return(buffer);
        }

        return entry?.Tags is { Length: > 0 } ? await CheckTagsAsync(entry, cancellationToken).ConfigureAwait(false) : entry;
    }

    private async ValueTask<DistributedEntry<TValue>?> GetBytesAsync(string formattedKey, CancellationToken cancellationToken)
    {
        byte[]? data;
        try
        {
            data = await _cache.GetAsync(KeyOf(formattedKey), cancellationToken).WithTimeout(_timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Report("get", ex);
            return null;
        }

        var entry = data is null ? null : Decode(data);
        return entry?.Tags is { Length: > 0 } ? await CheckTagsAsync(entry, cancellationToken).ConfigureAwait(false) : entry;
    }

    /// <summary>Decodes an entry; null when it was written before the cache was cleared, or (reported) cannot be read.</summary>
    private DistributedEntry<TValue>? Decode(ReadOnlySpan<byte> data)
    {
        try
        {
            var entry = DistributedEntry<TValue>.Decode(data, _serializer);
            return IsCleared(entry) ? null : entry;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Report("deserialise", ex);
            return null;
        }
    }

    /// <summary>The entry, or null when one of its tags was removed after it was written (or the tag state is unknown).</summary>
    private async ValueTask<DistributedEntry<TValue>?> CheckTagsAsync(DistributedEntry<TValue> entry, CancellationToken cancellationToken)
    {
        foreach (var tag in entry.Tags!)
        {
            var invalidatedAt = await GetTagInvalidationAsync(tag, cancellationToken).ConfigureAwait(false);
            if (invalidatedAt is null || invalidatedAt.Value >= entry.CreatedAtMs)
            {
                return null;
            }
        }

        return entry;
    }

    /// <summary>Writes an encoded entry that lives until <paramref name="keepUntil"/>; false when the level failed (reported).</summary>
    public async ValueTask<bool> SetAsync(string formattedKey, byte[] encoded, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        try
        {
            var options = new DistributedCacheEntryOptions { AbsoluteExpiration = keepUntil };
            await _cache.SetAsync(KeyOf(formattedKey), encoded, options, cancellationToken).WithTimeout(_timeout, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Report("set", ex);
            return false;
        }
    }

    public async ValueTask<bool> RemoveAsync(string formattedKey, CancellationToken cancellationToken)
    {
        try
        {
            await _cache.RemoveAsync(KeyOf(formattedKey), cancellationToken).WithTimeout(_timeout, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Report("remove", ex);
            return false;
        }
    }

    /// <summary>Records that every entry with <paramref name="tag"/> written until now is invalid.</summary>
    public async ValueTask<bool> InvalidateTagAsync(string tag, long keepForMs, CancellationToken cancellationToken)
    {
        var data = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(data, _time.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            var options = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(Math.Max(keepForMs, 1000)) };
            await _cache.SetAsync(TagKey(tag), data, options, cancellationToken).WithTimeout(_timeout, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Report("tag", ex);
            return false;
        }
    }

    /// <summary>
    /// The last tag invalidation time (0 when never), or null when the level failed. A marker that is not 8 bytes was not
    /// written by this layout (an instance of the old layout stored an entry there while both ran): it reads as
    /// "invalidated now", so the tag's entries are reloaded rather than trusted.
    /// </summary>
    private async ValueTask<long?> GetTagInvalidationAsync(string tag, CancellationToken cancellationToken)
    {
        try
        {
            var data = await _cache.GetAsync(TagKey(tag), cancellationToken).WithTimeout(_timeout, _time, cancellationToken).ConfigureAwait(false);
            return data switch
            {
                null => 0,
                { Length: 8 } => BinaryPrimitives.ReadInt64LittleEndian(data),
                _ => long.MaxValue,
            };
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Report("tag", ex);
            return null;
        }
    }

    public void Dispose() => _readTimeouts?.Dispose();

    private string TagKey(string tag) => _tagPrefix + tag;

    private void Report(string operation, Exception exception)
    {
        // error.type (as OpenTelemetry names it) tells a stalled store (a timeout) from a dead one (a connection error).
        _metrics.LevelErrors.Add(1, _cacheTag, new KeyValuePair<string, object?>("datapatterns.cache.level", "l2"), new KeyValuePair<string, object?>("error.type", exception.GetType().FullName));
        CachingLog.DistributedLevelFailed(_logger, _cacheName, operation, exception);
    }
}
