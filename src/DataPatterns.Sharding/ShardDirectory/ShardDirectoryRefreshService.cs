using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataPatterns.Sharding;

/// <summary>Loads a directory shard set's table when the host starts (start fails if it cannot) and reloads it periodically.</summary>
internal sealed partial class ShardDirectoryRefreshService<TKey> : IHostedService, IAsyncDisposable
    where TKey : notnull
{
    private readonly string _name;
    private readonly DirectoryShardResolver<TKey>? _resolver;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private ITimer? _timer;

    public ShardDirectoryRefreshService(string name, ShardResolver<TKey> resolver, TimeSpan interval, TimeProvider timeProvider, ILoggerFactory? loggerFactory)
    {
        _name = name;
        _resolver = resolver as DirectoryShardResolver<TKey>;
        _interval = interval;
        _timeProvider = timeProvider;
        _logger = (ILogger?)loggerFactory?.CreateLogger("DataPatterns.Sharding.Directory") ?? NullLogger.Instance;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_resolver is null)
        {
            return;
        }

        // The first load must succeed: resolving against an empty directory would send every key to the wrong place.
        await _resolver.RefreshAsync(cancellationToken).ConfigureAwait(false);
        LogLoaded(_logger, _name, _resolver.Count);
        _timer = _timeProvider.CreateTimer(static state => _ = ((ShardDirectoryRefreshService<TKey>)state!).RefreshInBackgroundAsync(), this, _interval, _interval);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => _timer?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await _resolver!.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
            LogLoaded(_logger, _name, _resolver.Count);
        }
#pragma warning disable CA1031 // A failed periodic reload keeps the previous table; the failure is logged, and the next tick retries.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRefreshFailed(_logger, _name, ex);
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Shard set '{ShardSet}': directory loaded with {Count} keys.")]
    private static partial void LogLoaded(ILogger logger, string shardSet, int count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Shard set '{ShardSet}': directory reload failed; the previous table stays in use.")]
    private static partial void LogRefreshFailed(ILogger logger, string shardSet, Exception exception);
}
