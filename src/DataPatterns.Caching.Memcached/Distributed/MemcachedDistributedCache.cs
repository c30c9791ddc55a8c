using System.Buffers;
using System.Runtime.CompilerServices;
using DataPatterns.Caching.Memcached.Client;
using Microsoft.Extensions.Caching.Distributed;

namespace DataPatterns.Caching.Memcached;

/// <summary>
/// The distributed level on Memcached: one <c>mg</c> per read, one <c>ms</c> with a TTL per write (the cache keeps its
/// own expiry times inside the value, so no sliding bookkeeping is needed). Reads through
/// <see cref="IBufferDistributedCache"/> copy the value from the socket's buffer straight into the caller's, so a hit
/// allocates no array. Memcached is reached asynchronously only: the synchronous <see cref="IDistributedCache"/>
/// methods throw rather than block a thread on the network. The cache's tag-removal and clear markers
/// (<see cref="CacheKeyLayout.IsMarker"/>) are kept on every server, so losing one server does not lose a removal.
/// </summary>
internal sealed class MemcachedDistributedCache(MemcachedClient client, TimeProvider time) : IBufferDistributedCache, IBoundedDistributedCache
{
    private const string SyncRefused = "The Memcached distributed cache is asynchronous only: blocking a thread on a network round trip starves the thread pool under load. Call the Async method instead.";

    /// <inheritdoc />
    public TimeSpan ReadBound => client.ReadBound;

    public byte[]? Get(string key) => throw new NotSupportedException(SyncRefused);

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (CacheKeyLayout.IsMarker(key))
        {
            return await client.GetGreatestAsync(key, token).ConfigureAwait(false);
        }

        var buffer = new ArrayBufferWriter<byte>();
        var result = await client.GetAsync(key, buffer, token).ConfigureAwait(false);
        return result.Status == MetaStatus.Hit ? buffer.WrittenSpan.ToArray() : null;
    }

    public void Refresh(string key) => throw new NotSupportedException(SyncRefused);

    /// <summary>Nothing to do: entries carry absolute TTLs (the cache has no sliding expiry), and reads keep them in memcached's LRU.</summary>
    public Task RefreshAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Task.CompletedTask;
    }

    public void Remove(string key) => throw new NotSupportedException(SyncRefused);

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (CacheKeyLayout.IsMarker(key))
        {
            await client.DeleteOnEveryServerAsync(key, token).ConfigureAwait(false);
            return;
        }

        await client.DeleteAsync(key, token).ConfigureAwait(false);
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw new NotSupportedException(SyncRefused);

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        await SetAsync(key, value.AsMemory(), options, token).ConfigureAwait(false);
    }

    /// <summary>The shortest of the absolute, relative and sliding expiries, relative to now; null when none is set.</summary>
    internal TimeSpan? ExpiryOf(DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var expiry = options.AbsoluteExpirationRelativeToNow;
        if (options.AbsoluteExpiration is { } absolute)
        {
            var relative = absolute - time.GetUtcNow();
            expiry = expiry is null || relative < expiry ? relative : expiry;
        }

        if (options.SlidingExpiration is { } sliding && (expiry is null || sliding < expiry))
        {
            expiry = sliding;
        }

        return expiry;
    }

    public bool TryGet(string key, IBufferWriter<byte> destination) => throw new NotSupportedException(SyncRefused);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(destination);
        if (CacheKeyLayout.IsMarker(key))
        {
            var marker = await client.GetGreatestAsync(key, token).ConfigureAwait(false);
            if (marker is null)
            {
                return false;
            }

            destination.Write(marker);
            return true;
        }

        var result = await client.GetAsync(key, destination, token).ConfigureAwait(false);
        return result.Status == MetaStatus.Hit;
    }

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => throw new NotSupportedException(SyncRefused);

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        // The bytes must outlive the caller's buffer, which may be reused as soon as this returns (or times out).
        await SetAsync(key, value.ToArray(), options, token).ConfigureAwait(false);
    }

    /// <summary>Markers go to every server (see <see cref="MemcachedClient.GetGreatestAsync"/>), entries to their own.</summary>
    private async Task SetAsync(string key, ReadOnlyMemory<byte> value, DistributedCacheEntryOptions options, CancellationToken token)
    {
        if (CacheKeyLayout.IsMarker(key))
        {
            await client.SetOnEveryServerAsync(key, value, ExpiryOf(options), token).ConfigureAwait(false);
            return;
        }

        await client.SetAsync(key, value, ExpiryOf(options), token).ConfigureAwait(false);
    }
}
