using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// The cross-process stampede lock: <c>SET resource token NX PX expiry</c> to take it, a compare-and-delete to release it
/// (only the holder's token releases it), retried every <see cref="RedisCachingOptions.LockRetryDelay"/> while waiting.
/// </summary>
internal sealed class RedisDistributedLock(RedisConnection connection, IOptions<RedisCachingOptions> options, RedisCachingMetrics metrics) : ICacheDistributedLock
{
    // Real time on purpose: the lock's expiry runs on the Redis server's clock.
    private readonly TimeProvider _time = TimeProvider.System;

    public async ValueTask<IAsyncDisposable?> TryAcquireAsync(string resource, TimeSpan expiry, TimeSpan wait, CancellationToken cancellationToken)
    {
        var multiplexer = await connection.GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var database = multiplexer.GetDatabase();
        var token = Guid.NewGuid().ToString("N");
        var started = _time.GetTimestamp();
        while (true)
        {
            if (await database.LockTakeAsync(resource, token, expiry).ConfigureAwait(false))
            {
                return new Handle(database, resource, token);
            }

            if (_time.GetElapsedTime(started) >= wait)
            {
                metrics.LockWaits.Add(1);
                return null;
            }

            await Task.Delay(options.Value.LockRetryDelay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Handle(IDatabase database, string resource, string token) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await database.LockReleaseAsync(resource, token).ConfigureAwait(false);
    }
}
