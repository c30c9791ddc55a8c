using Npgsql;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// Holds one connection that LISTENs on the writers' channel and wakes waiting readers. A notification that arrives
/// while nobody waits is remembered, so a reader that checks after reading never misses a wake-up.
/// If the connection breaks, readers are woken (to poll) and it reconnects.
/// </summary>
internal sealed class NotificationListener : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _channel;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startLock = new();
    private TaskCompletionSource _signal = NewSignal();
    private int _signaled;
    private int _disposed;
    private Task? _loop;

    public NotificationListener(NpgsqlDataSource dataSource, string channel, TimeProvider time)
    {
        _dataSource = dataSource;
        _channel = channel;
        _time = time;
    }

    public async ValueTask WaitAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        EnsureStarted();
        var signal = Volatile.Read(ref _signal);
        if (Interlocked.Exchange(ref _signaled, 0) == 1)
        {
            return;
        }

        try
        {
            await signal.Task.WaitAsync(maxWait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The safety-net poll.
        }

        Interlocked.Exchange(ref _signaled, 0);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        _stop.Dispose();
    }

    private void Signal()
    {
        Volatile.Write(ref _signaled, 1);
        Interlocked.Exchange(ref _signal, NewSignal()).TrySetResult();
    }

    private void EnsureStarted()
    {
        if (_loop is not null)
        {
            return;
        }

        lock (_startLock)
        {
            _loop ??= Task.Run(() => ListenAsync(_stop.Token));
        }
    }

    private async Task ListenAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                connection.Notification += (_, _) => Signal();
                await using (var listen = new NpgsqlCommand($"LISTEN {SqlNames.Quote(_channel)}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                }

                // Anything committed before LISTEN took effect must be read: wake readers once.
                Signal();
                while (!stop.IsCancellationRequested)
                {
                    await connection.WaitAsync(stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                // Connection lost: readers fall back to polling until we are back.
                Signal();
                await Task.Delay(TimeSpan.FromSeconds(1), _time, stop).ConfigureAwait(false);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
