namespace DataPatterns.Caching;

/// <summary>What the hosted service does for each cache: warm-up at start, the flush loop, the flush at shutdown.</summary>
internal interface ICacheLifecycle
{
    string Name { get; }

    Task WarmUpAsync(CancellationToken cancellationToken);

    Task RunFlushLoopAsync(CancellationToken stoppingToken);

    Task ShutdownFlushAsync(CancellationToken cancellationToken);

    /// <summary>The cache's write-back state, or null when it does not write back.</summary>
    WriteBackSnapshot? GetWriteBackStatus();
}
