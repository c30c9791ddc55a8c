using DataPatterns.Transactions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the two-phase-commit coordinator.</summary>
public static class TwoPhaseCommitServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="TwoPhaseCommitCoordinator"/> (singleton), the embedded <see cref="FileDecisionLog"/> at
    /// <see cref="TwoPhaseCommitOptions.DecisionLogPath"/> unless another <see cref="IDecisionLog"/> is registered, and the
    /// recovery hosted service (start-up checks, a recovery pass at start and every
    /// <see cref="TwoPhaseCommitOptions.RecoveryInterval"/>). Options are validated at start-up.
    /// </summary>
    public static TwoPhaseCommitBuilder AddTwoPhaseCommit(this IServiceCollection services, Action<TwoPhaseCommitOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<TwoPhaseCommitOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwoPhaseCommitOptions>, TwoPhaseCommitOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDecisionLog>(sp => new FileDecisionLog(
            sp.GetRequiredService<IOptions<TwoPhaseCommitOptions>>().Value.DecisionLogPath,
            sp.GetService<ILogger<FileDecisionLog>>()));
        services.TryAddSingleton<TwoPhaseCommitCoordinator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TransactionRecoveryService>());
        return new TwoPhaseCommitBuilder(services);
    }
}
