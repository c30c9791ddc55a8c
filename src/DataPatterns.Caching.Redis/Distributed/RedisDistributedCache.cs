using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// The distributed level on Redis: one GET per read, one SET with an expiry per write (the cache keeps its own expiry
/// times inside the value, so no hash fields or sliding bookkeeping are needed). Reads through
/// <see cref="IBufferDistributedCache"/> take the value as a pooled lease and copy it into the caller's buffer, so a hit
/// allocates no array of its own.
/// </summary>
internal sealed class RedisDistributedCache(RedisConnection connection, TimeProvider time) : IBufferDistributedCache, IBoundedDistributedCache
{
    /// <inheritdoc />
    public TimeSpan ReadBound => connection.ReadBound;

    public byte[]? Get(string key) => connection.GetConnected().GetDatabase().StringGet(key);

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var multiplexer = await connection.GetAsync().ConfigureAwait(false);
        return await multiplexer.GetDatabase().StringGetAsync(key).ConfigureAwait(false);
    }

    public void Refresh(string key) => connection.GetConnected().GetDatabase().KeyTouch(key);

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        var multiplexer = await connection.GetAsync().ConfigureAwait(false);
        await multiplexer.GetDatabase().KeyTouchAsync(key).ConfigureAwait(false);
    }

    public void Remove(string key) => connection.GetConnected().GetDatabase().KeyDelete(key);

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        var multiplexer = await connection.GetAsync().ConfigureAwait(false);
        await multiplexer.GetDatabase().KeyDeleteAsync(key).ConfigureAwait(false);
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) =>
        connection.GetConnected().GetDatabase().StringSet(key, value, ExpiryOf(options), When.Always);

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var multiplexer = await connection.GetAsync().ConfigureAwait(false);
        await multiplexer.GetDatabase().StringSetAsync(key, value, ExpiryOf(options), When.Always).ConfigureAwait(false);
    }

    private TimeSpan? ExpiryOf(DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TimeSpan? expiry = options.AbsoluteExpirationRelativeToNow;
        if (options.AbsoluteExpiration is { } absolute)
        {
            var relative = absolute - time.GetUtcNow();
            expiry = expiry is null || relative < expiry ? relative : expiry;
        }

        if (options.SlidingExpiration is { } sliding && (expiry is null || sliding < expiry))
        {
            expiry = sliding;
        }

        return expiry is { } e && e <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : expiry;
    }

    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var lease = connection.GetConnected().GetDatabase().StringGetLease(key);
        if (lease is null)
        {
            return false;
        }

        destination.Write(lease.Span);
        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var connecting = connection.GetAsync();
        var multiplexer = connecting.IsCompletedSuccessfully ? connection.GetConnected() : await connecting.ConfigureAwait(false);
        using var lease = await multiplexer.GetDatabase().StringGetLeaseAsync(key).ConfigureAwait(false);
        if (lease is null)
        {
            return false;
        }

        destination.Write(lease.Span);
        return true;
    }

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) =>
        Set(key, value.ToArray(), options);

    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        new(SetAsync(key, value.ToArray(), options, token));
}
