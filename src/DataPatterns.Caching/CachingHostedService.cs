using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataPatterns.Caching;

/// <summary>
/// Warns about a shared default application name, warms caches up at start, runs the write-back flush loops, and flushes
/// what is queued at graceful shutdown.
/// </summary>
internal sealed class CachingHostedService(IEnumerable<ICacheLifecycle> caches, IServiceProvider services, IOptions<CachingOptions> options) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        WarnAboutSharedDefaultName();
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

    /// <summary>
    /// Two applications that both keep the default name on one store share every key, lock and queue: one clears or
    /// overwrites the other's entries. Nothing fails, so only a warning can tell.
    /// </summary>
    private void WarnAboutSharedDefaultName()
    {
        var name = options.Value.ApplicationName;
        if (!string.Equals(name, CachingOptions.DefaultApplicationName, StringComparison.Ordinal))
        {
            return;
        }

        // Asks what is registered without creating it (a store may connect when created).
        var registered = services.GetService<IServiceProviderIsKeyedService>();
        var shared = registered is not null
            && (registered.IsKeyedService(typeof(IDistributedCache), CachingServiceKeys.DistributedCache)
                || registered.IsService(typeof(ICacheBackplane))
                || registered.IsService(typeof(ICacheDistributedLock))
                || registered.IsService(typeof(IWriteBackStore)));
        if (shared)
        {
            var logger = (services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("DataPatterns.Caching");
            CachingLog.DefaultApplicationName(logger, name);
        }
    }
}
