using System.Buffers;
using DataPatterns.Caching.Memcached.Distribution;
using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching.Memcached.Client;

/// <summary>
/// The meta-protocol client: picks each key's server on the ketama ring (skipping servers marked down), sends the
/// command on one of that server's pipelined connections and bounds it: a sweep every tenth of
/// <see cref="MemcachedCachingOptions.CommandTimeout"/> closes any connection whose oldest command has waited longer.
/// </summary>
internal sealed partial class MemcachedClient : IAsyncDisposable, IDisposable
{
    /// <summary>What memcached adds to every item beyond key and value (item header, CAS, CRLF), rounded up.</summary>
    public const int ItemOverhead = 64;

    /// <summary>The most seconds memcached reads as a relative TTL; larger values are unix times.</summary>
    public const long MaxRelativeTtlSeconds = 60 * 60 * 24 * 30;

    private readonly MemcachedServer[] _servers;
    private readonly KetamaRing _ring;
    private readonly ITimer _sweep;
    private readonly long _timeoutTicks;
    private readonly long _redirectedTtlSeconds;
    private readonly Lock _trackedLock = new();
    private readonly List<MemcachedConnection> _tracked = [];
    private readonly MemcachedCachingMetrics _metrics;
    private readonly ILogger _logger;
    private int _sweeping;
    private volatile bool _disposed;

    public MemcachedClient(MemcachedCachingOptions options, TimeProvider time, MemcachedCachingMetrics metrics, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Time = time;
        _metrics = metrics;
        _logger = logger;
        var endpoints = options.Servers.Select(s => ServerEndpoint.TryParse(s, out var e)
            ? e
            : throw new ArgumentException($"Memcached server '{s}' is not \"host:port\".", nameof(options))).ToList();
        _servers = endpoints.Select(e => new MemcachedServer(e, options.ConnectionsPerServer, this)).ToArray();
        _ring = new KetamaRing(endpoints.Select(e => e.Name).ToList());
        _timeoutTicks = (long)(options.CommandTimeout.TotalSeconds * time.TimestampFrequency);
        _redirectedTtlSeconds = Math.Max(1, (long)Math.Ceiling(options.RetryDownServerAfter.TotalSeconds));
        var period = options.CommandTimeout / 10;
        _sweep = time.CreateTimer(static state => ((MemcachedClient)state!).Sweep(), this, period, period);
        metrics.ObserveServersDown(() => ServersDown);
    }

    public MemcachedCachingOptions Options { get; }

    public TimeProvider Time { get; }

    public bool IsDisposed => _disposed;

    /// <summary>The longest a command can run before it fails: the timeout plus the sweep's period.</summary>
    public TimeSpan ReadBound => Options.CommandTimeout + (Options.CommandTimeout / 10);

    public IReadOnlyList<MemcachedServer> Servers => _servers;

    public int ServersDown => _servers.Count(s => s.IsDown);

    /// <summary>The server <paramref name="key"/> goes to now (servers marked down skipped); null when all are down.</summary>
    public MemcachedServer? ServerFor(string key)
    {
        Span<byte> scratch = stackalloc byte[MetaKey.MaxEncodedLength];
        MetaKey.Encode(key, scratch, out var hash);
        return ServerFor(hash);
    }

    /// <summary><c>mg &lt;key&gt; b v t</c>: on a hit the value is written to <paramref name="destination"/>.</summary>
    public ValueTask<MetaResult> GetAsync(string key, IBufferWriter<byte> destination, CancellationToken cancellationToken = default) =>
        ExecuteAsync(MetaCommand.Get(key, destination), cancellationToken);

    /// <summary><c>ms &lt;key&gt; &lt;length&gt; b T&lt;ttl&gt;</c>; <paramref name="ttl"/> null never expires.</summary>
    public ValueTask<MetaResult> SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl, CancellationToken cancellationToken = default)
    {
        var command = MetaCommand.Set(key, value, TtlFlagOf(ttl));
        var itemSize = (long)value.Length + command.Key.Length + ItemOverhead;
        if (itemSize > Options.MaxItemSize)
        {
            command.ReturnKeyBuffer();
            return ValueTask.FromException<MetaResult>(new MemcachedItemTooLargeException(
                $"A value of {value.Length} bytes makes a Memcached item of about {itemSize} bytes, over the item size limit of {Options.MaxItemSize} bytes (MemcachedCachingOptions.MaxItemSize); it was not sent. Store smaller values (or compress them), or raise the limit on every server (memcached -I) and MaxItemSize to match.")
            {
                ItemSize = itemSize,
                Limit = Options.MaxItemSize,
            });
        }

        return ExecuteAsync(command, cancellationToken);
    }

    /// <summary><c>md &lt;key&gt; b</c>.</summary>
    public ValueTask<MetaResult> DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        ExecuteAsync(MetaCommand.Delete(key), cancellationToken);

    /// <summary><c>mn</c> to one server: whether it answers.</summary>
    public ValueTask<MetaResult> NoopAsync(MemcachedServer server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        return ExecuteOnAsync(server, MetaCommand.Noop(), cancellationToken);
    }

    /// <summary>
    /// The T flag for <paramref name="ttl"/>: whole seconds rounded up (an entry never leaves before it was asked to); a
    /// unix time past 30 days, where memcached stops reading it as relative; -1 (already expired) when not positive.
    /// </summary>
    public long TtlFlagOf(TimeSpan? ttl)
    {
        if (ttl is not { } relative)
        {
            return 0;
        }

        if (relative <= TimeSpan.Zero)
        {
            return -1;
        }

        var seconds = (long)Math.Ceiling(relative.TotalSeconds);
        return seconds <= MaxRelativeTtlSeconds ? seconds : Time.GetUtcNow().ToUnixTimeSeconds() + seconds;
    }

    private MemcachedServer? ServerFor(uint hash)
    {
        if (_servers.Length == 1)
        {
            return _servers[0].IsUsable(Time.GetTimestamp()) ? _servers[0] : null;
        }

        var owner = _ring.OwnerOf(hash, this, static (client, index, now) => client._servers[index].IsUsable(now), Time.GetTimestamp());
        return owner < 0 ? null : _servers[owner];
    }

    private ValueTask<MetaResult> ExecuteAsync(MetaCommand command, CancellationToken cancellationToken)
    {
        var server = ServerFor(command.RingHash);
        if (server is null)
        {
            command.ReturnKeyBuffer();
            return ValueTask.FromException<MetaResult>(new MemcachedServerUnavailableException(
                $"Every Memcached server ({string.Join(", ", _servers.Select(s => s.Endpoint.Name))}) is marked down; each is retried {Options.RetryDownServerAfter} after it failed."));
        }

        if (command.Kind == MetaCommandKind.Set && _servers.Length > 1 && server != _servers[_ring.OwnerOf(command.RingHash)])
        {
            // Redirected from a server marked down. That server takes the key back when it returns; if it later fails
            // again the key comes here once more, where this copy must be gone by then (it may have been changed or
            // removed on the returned server meanwhile). It cannot return sooner than the retry interval, so a copy
            // that lives no longer than that never outlasts the redirection it was written for.
            command.CapTtl(_redirectedTtlSeconds);
        }

        return ExecuteOnAsync(server, command, cancellationToken);
    }

    private ValueTask<MetaResult> ExecuteOnAsync(MemcachedServer server, MetaCommand command, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<MetaResult>(cancellationToken);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        command.StartedAt = Time.GetTimestamp();
        var connecting = server.GetConnectionAsync();
        return connecting.IsCompletedSuccessfully
            ? Submit(connecting.Result, command, cancellationToken)
            : ConnectThenSubmitAsync(connecting, command, cancellationToken);
    }

    private async ValueTask<MetaResult> ConnectThenSubmitAsync(ValueTask<MemcachedConnection> connecting, MetaCommand command, CancellationToken cancellationToken)
    {
        var connection = await connecting.AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await Submit(connection, command, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<MetaResult> Submit(MemcachedConnection connection, MetaCommand command, CancellationToken cancellationToken)
    {
        if (!connection.TrySubmit(command, out var refusal))
        {
            command.ReturnKeyBuffer();
            if (refusal is MemcachedOverloadedException)
            {
                _metrics.Rejected.Add(1);
            }

            return ValueTask.FromException<MetaResult>(refusal!);
        }

        command.CancelWith(cancellationToken);
        return command.Task;
    }

    /// <summary>
    /// A connection was opened: the sweep watches it until it closes. False (and the connection closed) when the client
    /// was disposed meanwhile: checked under the lock Dispose empties the set with, so no connection opened by a connect
    /// that was under way when Dispose ran is left open.
    /// </summary>
    internal bool Track(MemcachedConnection connection)
    {
        lock (_trackedLock)
        {
            if (!_disposed)
            {
                _tracked.Add(connection);
                return true;
            }
        }

        connection.Close(Disposed());
        return false;
    }

    private static ObjectDisposedException Disposed() =>
        new(nameof(MemcachedClient), "The Memcached client was disposed with the service provider.");

    private void Sweep()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            var now = Time.GetTimestamp();
            MemcachedConnection[] connections;
            lock (_trackedLock)
            {
                _tracked.RemoveAll(c => c.IsClosed);
                connections = [.. _tracked];
            }

            foreach (var connection in connections)
            {
                if (connection.OldestStartedAt is { } startedAt && now - startedAt > _timeoutTicks)
                {
                    _metrics.Timeouts.Add(1, new KeyValuePair<string, object?>("datapatterns.cache.memcached.server", connection.Server.Name));
                    connection.Close(new MemcachedTimeoutException(
                        $"Memcached server {connection.Server} did not answer within {Options.CommandTimeout} (MemcachedCachingOptions.CommandTimeout); the connection is closed and the commands on it fail. A hung or overloaded server: check it, or raise CommandTimeout if it is only slow.")
                    { Server = connection.Server.Name });
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    internal void ServerMarkedDown(MemcachedServer server, Exception reason)
    {
        _metrics.MarkedDown.Add(1, new KeyValuePair<string, object?>("datapatterns.cache.memcached.server", server.Endpoint.Name));
        MemcachedCachingLog.ServerMarkedDown(_logger, server.Endpoint.Name, Options.RetryDownServerAfter, reason);
    }

    internal void ServerBack(MemcachedServer server) => MemcachedCachingLog.ServerBack(_logger, server.Endpoint.Name);

    internal void FlushRefused(MemcachedServer server, Exception reason) => MemcachedCachingLog.FlushRefused(_logger, server.Endpoint.Name, reason);

    internal void ConnectionClosed(MemcachedServer server, Exception reason, int failed)
    {
        if (reason is MemcachedProtocolException)
        {
            _metrics.ProtocolErrors.Add(1, new KeyValuePair<string, object?>("datapatterns.cache.memcached.server", server.Endpoint.Name));
        }

        if (!_disposed)
        {
            MemcachedCachingLog.ConnectionClosed(_logger, server.Endpoint.Name, reason.GetType().Name, failed, reason);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync().ConfigureAwait(false);
        Dispose();
    }

    /// <summary>Stops the sweep and closes every connection, failing what is still in flight; nothing waits on the network.</summary>
    public void Dispose()
    {
        _disposed = true;
        _sweep.Dispose();
        MemcachedConnection[] connections;
        lock (_trackedLock)
        {
            connections = [.. _tracked];
            _tracked.Clear();
        }

        foreach (var connection in connections)
        {
            connection.Close(Disposed());
        }
    }
}
