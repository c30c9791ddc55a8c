using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// The backplane on Redis pub/sub: one channel per application; each message carries the sender's instance id (its own
/// messages are ignored), the cache name, the kind and the serialised key or tag. Pub/sub does not keep messages for a
/// disconnected subscriber, so after a reconnect every memory level is cleared.
/// </summary>
internal sealed class RedisBackplane : ICacheBackplane, IAsyncDisposable, IDisposable
{
    private readonly RedisConnection _connection;
    private readonly RedisCachingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly RedisChannel _channel;
    private readonly byte[] _instanceId = Guid.NewGuid().ToByteArray();
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ICacheInvalidationHandler[] _handlers = [];
    private Task? _subscribing;
    private IConnectionMultiplexer? _multiplexer;
    private readonly TimeProvider _time;
    private long _disconnectedSinceTicks;
    private long _lastResyncTicks;

    public RedisBackplane(RedisConnection connection, IOptions<CachingOptions> caching, RedisCachingMetrics metrics, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        _connection = connection;
        _time = time ?? TimeProvider.System;
        _metrics = metrics;
        _logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<RedisBackplane>();
        _channel = RedisChannel.Literal(CacheKeyLayout.BackplaneChannel(caching.Value.ApplicationName));
    }

    /// <summary>Completes once the subscription is active.</summary>
    internal Task Subscribed => _subscribed.Task;

    public async ValueTask PublishAsync(CacheInvalidation invalidation, CancellationToken cancellationToken)
    {
        var multiplexer = await _connection.GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        await multiplexer.GetSubscriber().PublishAsync(_channel, Encode(invalidation)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public IDisposable Subscribe(ICacheInvalidationHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_lock)
        {
            _handlers = [.. _handlers, handler];
            _subscribing ??= SubscribeAsync();
        }

        return new Subscription(this, handler);
    }

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is { } multiplexer)
        {
            multiplexer.ConnectionRestored -= OnConnectionRestored;
            multiplexer.ConnectionFailed -= OnConnectionFailed;
            try
            {
                await multiplexer.GetSubscriber().UnsubscribeAsync(_channel).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Disconnected (nothing to unsubscribe from) or too slow to answer (a paused or overloaded server, whose
                // subscription ends with the connection anyway): disposal does not fail for it.
            }
        }
    }

    public void Dispose()
    {
        if (_multiplexer is { } multiplexer)
        {
            multiplexer.ConnectionRestored -= OnConnectionRestored;
            multiplexer.ConnectionFailed -= OnConnectionFailed;
        }
    }

    /// <summary>The subscription's state now, for the backplane health check.</summary>
    internal BackplaneStatus GetStatus()
    {
        var subscribed = _subscribed.Task.IsCompletedSuccessfully;
        var connected = subscribed && _multiplexer is { } multiplexer && multiplexer.GetSubscriber().IsConnected(_channel);
        return new BackplaneStatus(
            Volatile.Read(ref _handlers).Length,
            subscribed,
            connected,
            At(Interlocked.Read(ref _disconnectedSinceTicks)),
            At(Interlocked.Read(ref _lastResyncTicks)));
    }

    private static DateTimeOffset? At(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            Interlocked.CompareExchange(ref _disconnectedSinceTicks, _time.GetUtcNow().UtcTicks, 0);
        }
    }

    private async Task SubscribeAsync()
    {
        var multiplexer = await _connection.GetAsync().ConfigureAwait(false);
        _multiplexer = multiplexer;
        multiplexer.ConnectionRestored += OnConnectionRestored;
        multiplexer.ConnectionFailed += OnConnectionFailed;
        while (true)
        {
            try
            {
                var queue = await multiplexer.GetSubscriber().SubscribeAsync(_channel).ConfigureAwait(false);
                queue.OnMessage(message => OnMessage(message.Message));
                _subscribed.TrySetResult();
                return;
            }
            catch (RedisException ex)
            {
                RedisCachingLog.SubscribeFailed(_logger, _channel.ToString(), ex);
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription)
        {
            return;
        }

        Interlocked.Exchange(ref _disconnectedSinceTicks, 0);
        Interlocked.Exchange(ref _lastResyncTicks, _time.GetUtcNow().UtcTicks);
        _metrics.Resynchronizations.Add(1);
        RedisCachingLog.Resynchronizing(_logger);
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            handler.OnResynchronize();
        }
    }

    private void OnMessage(RedisValue value)
    {
        CacheInvalidation invalidation;
        try
        {
            byte[]? data = value;
            if (data is null || data.Length < 16 + 1 + 2 || data.AsSpan(0, 16).SequenceEqual(_instanceId))
            {
                return; // empty, or this instance's own message
            }

            invalidation = Decode(data);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IndexOutOfRangeException or DecoderFallbackException)
        {
            RedisCachingLog.MessageUnreadable(_logger, ex);
            foreach (var handler in Volatile.Read(ref _handlers))
            {
                handler.OnResynchronize(); // an unreadable invalidation: clear rather than serve a stale value
            }

            return;
        }

        _metrics.InvalidationsReceived.Add(1);
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            handler.OnInvalidation(invalidation);
        }
    }

    // Layout: instance id (16) | kind (1) | cache name length (2) | cache name (UTF-8) | key bytes or tag (UTF-8)
    private byte[] Encode(CacheInvalidation invalidation)
    {
        var name = Encoding.UTF8.GetBytes(invalidation.CacheName);
        var payload = invalidation.Kind == CacheInvalidationKind.Tag ? Encoding.UTF8.GetBytes(invalidation.Tag ?? string.Empty) : invalidation.Key.ToArray();
        var data = new byte[16 + 1 + 2 + name.Length + payload.Length];
        _instanceId.CopyTo(data, 0);
        data[16] = (byte)invalidation.Kind;
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(17), (ushort)name.Length);
        name.CopyTo(data, 19);
        payload.CopyTo(data, 19 + name.Length);
        return data;
    }

    private static CacheInvalidation Decode(byte[] data)
    {
        var kind = (CacheInvalidationKind)data[16];
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(17));
        var name = Encoding.UTF8.GetString(data, 19, nameLength);
        var payload = data.AsMemory(19 + nameLength);
        return kind switch
        {
            CacheInvalidationKind.Key => new CacheInvalidation(name, kind, payload, null),
            CacheInvalidationKind.Tag => new CacheInvalidation(name, kind, default, Encoding.UTF8.GetString(payload.Span)),
            CacheInvalidationKind.Clear => new CacheInvalidation(name, kind, payload, null), // the clear time
            _ => throw new FormatException($"Unknown invalidation kind {data[16]}."),
        };
    }

    private void Unsubscribe(ICacheInvalidationHandler handler)
    {
        lock (_lock)
        {
            _handlers = _handlers.Where(h => !ReferenceEquals(h, handler)).ToArray();
        }
    }

    private sealed class Subscription(RedisBackplane backplane, ICacheInvalidationHandler handler) : IDisposable
    {
        public void Dispose() => backplane.Unsubscribe(handler);
    }
}
