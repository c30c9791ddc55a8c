using Microsoft.Extensions.Hosting;

namespace DataPatterns.Caching;

/// <summary>Warms caches up at start, runs the write-back flush loops, and flushes what is queued at graceful shutdown.</summary>
internal sealed class CachingHostedService(IEnumerable<ICacheLifecycle> caches) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var cache in caches)
        {
            await cache.WarmUpAsync(cancellationToken).ConfigureAwait(false);
            _loops.Add(cache.RunFlushLoopAsync(_stopping.Token));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var cache in caches)
        {
            await cache.ShutdownFlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _stopping.Dispose();
}
