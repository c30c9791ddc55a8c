using DataPatterns.Transactions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the two-phase-commit coordinator.</summary>
public static class TwoPhaseCommitServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="TwoPhaseCommitCoordinator"/> (singleton), its <see cref="TransactionAdmin"/>, the embedded <see cref="FileDecisionLog"/> at
    /// <see cref="TwoPhaseCommitOptions.DecisionLogPath"/> unless another <see cref="IDecisionLog"/> is registered, and the
    /// recovery hosted service (start-up checks, a recovery pass at start and every
    /// <see cref="TwoPhaseCommitOptions.RecoveryInterval"/>). Options are validated at start-up; outside the Development
    /// environment the default <see cref="TwoPhaseCommitOptions.NodeId"/> is refused (without an <c>IHostEnvironment</c>
    /// the environment comes from <c>DOTNET_ENVIRONMENT</c> / <c>ASPNETCORE_ENVIRONMENT</c>, Production when unset). The
    /// recovery service claims the prefix and node id on every resource and decision log that can hold the claim (the
    /// PostgreSQL ones: an advisory lock) and fails start-up when another live coordinator holds it. Logging is used when
    /// registered and not required. With <see cref="TwoPhaseCommitOptions.StatelessCommit"/> (or
    /// <see cref="TwoPhaseCommitBuilder.UseStatelessCommit"/>) no decision log is created and no node id is needed.
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
        services.TryAddSingleton<IDecisionLog>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<TwoPhaseCommitOptions>>().Value;
            return new FileDecisionLog(
                new FileDecisionLogOptions { Path = settings.DecisionLogPath, SalvageDamage = settings.SalvageDecisionLog },
                Logger<FileDecisionLog>(sp));
        });
        services.TryAddSingleton(sp => new TwoPhaseCommitCoordinator(
            sp.GetRequiredService<IOptions<TwoPhaseCommitOptions>>(),
            sp.GetRequiredService<IOptions<TwoPhaseCommitOptions>>().Value.StatelessCommit ? null : sp.GetRequiredService<IDecisionLog>(),
            sp.GetServices<ITransactionResource>(),
            sp.GetRequiredService<TimeProvider>(),
            Logger<TwoPhaseCommitCoordinator>(sp),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(sp => new TransactionAdmin(
            sp.GetRequiredService<TwoPhaseCommitCoordinator>(),
            sp.GetRequiredService<TimeProvider>(),
            Logger<TransactionAdmin>(sp)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TransactionRecoveryService>(sp => new TransactionRecoveryService(
            sp.GetRequiredService<TwoPhaseCommitCoordinator>(),
            sp.GetRequiredService<TimeProvider>(),
            Logger<TransactionRecoveryService>(sp))));
        return new TwoPhaseCommitBuilder(services);
    }

    // Resolved through the factory when there is one, so that an app that never called AddLogging still starts (and one
    // that calls it after AddTwoPhaseCommit still gets its logs: registering a null ILogger<> here would win over it).
    private static ILogger<T> Logger<T>(IServiceProvider services) =>
        services.GetService<ILoggerFactory>() is { } factory ? new Logger<T>(factory) : NullLogger<T>.Instance;
}
