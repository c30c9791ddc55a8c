namespace DataPatterns.Caching;

// The write-back side of the cache's life in a host: the flush loop the hosted service runs, the flush at shutdown,
// and what they report to the write-back health check.
internal sealed partial class Cache<TKey, TValue>
{
    Task ICacheLifecycle.WarmUpAsync(CancellationToken cancellationToken) =>
        _warmUpKeys.Count == 0 ? Task.CompletedTask : WarmUpAsync(_warmUpKeys, cancellationToken).AsTask();

    async Task ICacheLifecycle.RunFlushLoopAsync(CancellationToken stoppingToken)
    {
        if (_writeBack is null)
        {
            return;
        }

        _writeBackStatus!.LoopStarted();
        try
        {
            await FlushLoopAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            _writeBackStatus.LoopStopped();
        }
    }

    private async Task FlushLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var interval = Task.Delay(_options.WriteBack.FlushInterval, _time, stoppingToken);
                await Task.WhenAny(interval, _writeBack!.WorkAvailable).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
                if (!await FlushOnceAsync(stoppingToken).ConfigureAwait(false))
                {
                    await Task.Delay(_writeBack!.RetryDelay, _time, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _writeBackStatus!.FlushFailed(_time.GetUtcNow(), ex);
                CachingLog.FlushLoopFailed(_logger, Name, ex);
                try
                {
                    await Task.Delay(_writeBack!.RetryDelay + _options.WriteBack.RetryDelay, _time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    async Task ICacheLifecycle.ShutdownFlushAsync(CancellationToken cancellationToken)
    {
        if (_writeBack is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_options.WriteBack.ShutdownFlushTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await FlushAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            CachingLog.FlushLoopFailed(_logger, Name, ex);
        }
    }

    WriteBackSnapshot? ICacheLifecycle.GetWriteBackStatus() => _writeBackStatus?.Snapshot(_writeBack!.Depth);

    /// <summary>One flush of the queue, its outcome recorded for the health check.</summary>
    private async ValueTask<bool> FlushOnceAsync(CancellationToken cancellationToken)
    {
        var flushed = await _writeBack!.FlushOnceAsync(cancellationToken).ConfigureAwait(false);
        if (flushed)
        {
            _writeBackStatus!.QueueFlushed(_writeBack.IsEmpty);
        }
        else
        {
            _writeBackStatus!.FlushFailed(_time.GetUtcNow(), null);
        }

        return flushed;
    }
}
