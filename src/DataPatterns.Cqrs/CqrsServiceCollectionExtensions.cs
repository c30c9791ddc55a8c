using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using DataPatterns.Cqrs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds CQRS dispatch and projections to a service collection.</summary>
public static class CqrsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the dispatcher (<see cref="IDispatcher"/>, scoped), the projection monitor, rebuilder and health check; then
    /// lets <paramref name="configure"/> register handlers and projections. Projections need a store and an event
    /// source from a provider, e.g. <c>.UseNpgsql(...)</c> on the returned builder.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Registers handlers and projections.</param>
    /// <returns>The builder, for provider extensions.</returns>
    public static CqrsBuilder AddCqrs(this IServiceCollection services, Action<CqrsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions();
        services.TryAddScoped<IDispatcher, Dispatcher>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProjectionMonitor>();
        services.TryAddSingleton<IProjectionMonitor>(sp => sp.GetRequiredService<ProjectionMonitor>());
        services.TryAddSingleton<CqrsMetrics>();
        // Works with no logging registered, as every entry point does.
        services.TryAddSingleton(sp => new ProjectionRunnerStartWatch(
            sp.GetServices<IProjection>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            (ILogger?)sp.GetService<ILoggerFactory>()?.CreateLogger<ProjectionRunnerStartWatch>() ?? NullLogger.Instance));
        services.TryAddSingleton<ProjectionLagHealthCheck>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProjectionRunnerOptions>, ProjectionRunnerOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProjectionHealthOptions>, ProjectionHealthOptionsValidator>());
        services.AddOptions<ProjectionRunnerOptions>().ValidateOnStart();
        services.AddOptions<ProjectionHealthOptions>().ValidateOnStart();
        var builder = new CqrsBuilder(services);
        configure?.Invoke(builder);
        return builder;
    }
}
