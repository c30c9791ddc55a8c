using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// Runs the persistence check before any hosted service starts (so a refusal stops the host before a flush loop runs),
/// when a durable write-back cache uses Redis. Redis being unreachable does not stop the start: the check then runs
/// before the first write instead, which fails anyway while Redis is away.
/// </summary>
internal sealed class RedisWriteBackStartup(RedisPersistenceCheck check, ILoggerFactory? loggerFactory = null) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!check.Required)
        {
            return;
        }

        try
        {
            await check.EnsureAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RedisWriteBackDurabilityException && !cancellationToken.IsCancellationRequested)
        {
            var logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<RedisPersistenceCheck>();
            RedisCachingLog.PersistenceUnchecked(logger, ex);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
