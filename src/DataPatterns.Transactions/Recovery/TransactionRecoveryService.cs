using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataPatterns.Transactions;

/// <summary>
/// Runs the resources' start-up checks, claims the coordinator's prefix and node id, and runs a recovery pass when the
/// host starts (start-up fails if a resource cannot take part in 2PC or another live coordinator has the node id), then a recovery pass every <see cref="TwoPhaseCommitOptions.RecoveryInterval"/>.
/// </summary>
internal sealed class TransactionRecoveryService : IHostedService, IAsyncDisposable
{
    private readonly TwoPhaseCommitCoordinator _coordinator;
    private readonly TimeProvider _time;
    private readonly ILogger<TransactionRecoveryService> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public TransactionRecoveryService(TwoPhaseCommitCoordinator coordinator, TimeProvider time, ILogger<TransactionRecoveryService> logger)
    {
        _coordinator = coordinator;
        _time = time;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _coordinator.RecoveryState.ServiceStarted();
        await _coordinator.ValidateResourcesAsync(cancellationToken).ConfigureAwait(false);
        await _coordinator.ClaimNodeAsync(cancellationToken).ConfigureAwait(false); // before recovery touches any branch
        await _coordinator.RecoverAsync(cancellationToken).ConfigureAwait(false);
        _loop = RunAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var interval = _coordinator.Options.RecoveryInterval;
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await _coordinator.RecoverAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    _coordinator.RecoveryState.PassFailed(_time.GetUtcNow(), ex);
                    TransactionsLog.RecoveryPassFailed(_logger, interval, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutting down.
        }
    }
}
