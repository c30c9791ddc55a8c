using DataPatterns.Caching.Memcached.Distribution;

namespace DataPatterns.Caching.Memcached.Client;

/// <summary>
/// One server: a fixed number of connection slots used round-robin (each connected on first use, one connect per slot
/// at a time), and whether the server is marked down. A refused or dropped connection marks it down at once;
/// timeouts do after <see cref="MemcachedCachingOptions.FailuresBeforeDown"/> in a row. While down its keys go to the
/// next servers on the ring; after <see cref="MemcachedCachingOptions.RetryDownServerAfter"/> the next command for it
/// tries it again.
/// </summary>
internal sealed class MemcachedServer : MemcachedConnection.IConnectionEvents
{
    private readonly Task<MemcachedConnection>?[] _slots;
    private readonly MemcachedClient _client;
    private int _next;
    private int _timeoutsInARow;
    private long _retryAt;
    private Task? _returnFlush;
    private int _flushRefusedLogged;
    private volatile bool _down;

    public MemcachedServer(ServerEndpoint endpoint, int connections, MemcachedClient client)
    {
        Endpoint = endpoint;
        _slots = new Task<MemcachedConnection>?[connections];
        _client = client;
    }

    public ServerEndpoint Endpoint { get; }

    /// <summary>Marked down (and not yet answering again).</summary>
    public bool IsDown => _down;

    /// <summary>Whether commands may go here: up, or down for longer than the retry interval (then one tries it).</summary>
    public bool IsUsable(long now) => !_down || now >= Volatile.Read(ref _retryAt);

    /// <summary>A connection for the next command: round-robin over the slots, connecting a slot when it has none.</summary>
    public ValueTask<MemcachedConnection> GetConnectionAsync()
    {
        var index = (int)((uint)Interlocked.Increment(ref _next) % (uint)_slots.Length);
        var slot = Volatile.Read(ref _slots[index]);
        if (slot is not { IsCompletedSuccessfully: true } || slot.Result.IsClosed)
        {
            return new ValueTask<MemcachedConnection>(Connect(index, slot));
        }

        // A connection that finished connecting just as the server was marked down escapes MarkDown's sweep of the
        // slots; it too waits for the return's flush, so no command reaches the server unflushed.
        return _down && _client.Options.FlushServerOnReturn
            ? new ValueTask<MemcachedConnection>(FlushThenUseAsync(slot.Result))
            : new ValueTask<MemcachedConnection>(slot.Result);
    }

    private async Task<MemcachedConnection> FlushThenUseAsync(MemcachedConnection connection)
    {
        try
        {
            await FlushOnReturnAsync(connection, _client.Time.GetTimestamp()).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex)
        {
            var unavailable = ex as MemcachedException ?? new MemcachedServerUnavailableException(
                $"Memcached server {Endpoint} could not be emptied on its return: {ex.Message}. It stays marked down for {_client.Options.RetryDownServerAfter}.", ex)
            { Server = Endpoint.Name };
            MarkDown(unavailable); // renews the retry time, as a failed connect does
            throw unavailable;
        }
    }

    private Task<MemcachedConnection> Connect(int index, Task<MemcachedConnection>? seen)
    {
        if (seen is { IsCompleted: false })
        {
            return seen; // another caller is connecting this slot: wait for the same connection
        }

        var connecting = new TaskCompletionSource<MemcachedConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = Interlocked.CompareExchange(ref _slots[index], connecting.Task, seen);
        if (current != seen)
        {
            return current is { IsCompletedSuccessfully: true } && current.Result.IsClosed ? Connect(index, current) : current!;
        }

        _ = ConnectIntoAsync(connecting);
        return connecting.Task;
    }

    private async Task ConnectIntoAsync(TaskCompletionSource<MemcachedConnection> connecting)
    {
        MemcachedConnection? connection = null;
        try
        {
            var startedAt = _client.Time.GetTimestamp();
            using (var timeout = new CancellationTokenSource(_client.Options.CommandTimeout, _client.Time))
            {
                connection = await MemcachedConnection.ConnectAsync(Endpoint, _client.Options.MaxPendingPerConnection, _client.Options.MaxItemSize, this, timeout.Token).ConfigureAwait(false);
            }

            if (!_client.Track(connection))
            {
                connecting.SetException(new ObjectDisposedException(nameof(MemcachedClient), "The Memcached client was disposed while this connection was opened; it is closed."));
                return;
            }

            if (_down && _client.Options.FlushServerOnReturn)
            {
                await FlushOnReturnAsync(connection, startedAt).ConfigureAwait(false);
            }

            connecting.SetResult(connection);
        }
        catch (Exception ex)
        {
            connection?.Close(ex);
            var unavailable = ex as MemcachedException ?? new MemcachedServerUnavailableException(
                $"Could not connect to Memcached server {Endpoint}: {ex.Message}. It is marked down for {_client.Options.RetryDownServerAfter} and its keys go to the next servers.", ex)
            { Server = Endpoint.Name };
            MarkDown(unavailable);
            connecting.SetException(unavailable);
        }
    }

    /// <summary>
    /// One <c>flush_all</c> per return, however many slots connect meanwhile: the first starts it (compare-and-swap),
    /// the others wait for it. The server is up again only once it completed, and a slot that connects after that sees
    /// it up and sends none, so no late flush wipes what was written since.
    /// </summary>
    private Task FlushOnReturnAsync(MemcachedConnection connection, long startedAt)
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _returnFlush, mine.Task, null) is { } running)
        {
            return running;
        }

        if (!_down)
        {
            Volatile.Write(ref _returnFlush, null); // an earlier flush brought it back between our check and the swap
            return Task.CompletedTask;
        }

        _ = FlushIntoAsync(connection, startedAt, mine);
        return mine.Task;
    }

    private async Task FlushIntoAsync(MemcachedConnection connection, long startedAt, TaskCompletionSource done)
    {
        try
        {
            // It may hold values written before it went down that were changed or removed on the other servers since.
            var flush = MetaCommand.FlushAll();
            flush.StartedAt = startedAt;
            if (!connection.TrySubmit(flush, out var refusal))
            {
                throw refusal!;
            }

            try
            {
                await flush.Task.ConfigureAwait(false);
            }
            catch (MemcachedFlushRefusedException ex)
            {
                // memcached -F: it would refuse every time, so it must not stay down for it; said once, then it goes on.
                if (Interlocked.Exchange(ref _flushRefusedLogged, 1) == 0)
                {
                    _client.FlushRefused(this, ex);
                }
            }

            // Up before the swap is released, so a slot that swaps after this sees it up and does not flush again.
            _down = false;
            _client.ServerBack(this);
            done.SetResult();
        }
        catch (Exception ex)
        {
            done.SetException(ex);
        }
        finally
        {
            Volatile.Write(ref _returnFlush, null);
        }
    }

    /// <summary>An answer came: the count of timeouts restarts, and a server marked down is up again.</summary>
    void MemcachedConnection.IConnectionEvents.Answered(MemcachedConnection connection)
    {
        if (Volatile.Read(ref _timeoutsInARow) != 0)
        {
            Volatile.Write(ref _timeoutsInARow, 0);
        }

        // With a flush on return, only the completed flush brings it back (FlushOnReturnAsync): its own answer comes
        // here first, and must not let other slots skip waiting for it.
        if (_down && !_client.Options.FlushServerOnReturn)
        {
            _down = false;
            _client.ServerBack(this);
        }
    }

    /// <summary>A connection closed: dropped by the server (down at once) or timed out (down after N in a row).</summary>
    void MemcachedConnection.IConnectionEvents.Closed(MemcachedConnection connection, Exception reason, int failed)
    {
        _client.ConnectionClosed(this, reason, failed);
        if (_down || _client.IsDisposed)
        {
            return; // closed because the server was marked down (or the client is going away): nothing new to learn
        }

        if (reason is MemcachedTimeoutException)
        {
            if (Interlocked.Increment(ref _timeoutsInARow) >= _client.Options.FailuresBeforeDown)
            {
                MarkDown(reason);
            }
        }
        else if (reason is MemcachedServerUnavailableException)
        {
            MarkDown(reason);
        }
    }

    private void MarkDown(Exception reason)
    {
        Volatile.Write(ref _retryAt, _client.Time.GetTimestamp() + (long)(_client.Options.RetryDownServerAfter.TotalSeconds * _client.Time.TimestampFrequency));
        Volatile.Write(ref _timeoutsInARow, 0);
        var wasDown = _down;
        _down = true;
        if (!wasDown)
        {
            _client.ServerMarkedDown(this, reason);
        }

        // No command should wait on a server that stopped answering: what is queued on its other connections fails now.
        foreach (var slot in _slots)
        {
            if (slot is { IsCompletedSuccessfully: true, Result: { IsClosed: false } open })
            {
                open.Close(reason);
            }
        }
    }

    /// <summary>Every open connection of this server.</summary>
    public IEnumerable<MemcachedConnection> OpenConnections() =>
        _slots.Where(s => s is { IsCompletedSuccessfully: true } && !s.Result.IsClosed).Select(s => s!.Result);
}
