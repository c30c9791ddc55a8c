using System.Diagnostics.Metrics;
using DataPatterns.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers read/write routers.</summary>
public static class ReadWriteSplittingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default router: <see cref="ReadWriteRouter"/> (singleton) and <see cref="RoutingSession"/> (scoped, one per
    /// request), with options validated at start-up. Add the provider with <c>.UseNpgsql()</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds the nodes and sets the options.</param>
    /// <returns>A builder for the provider's set-up.</returns>
    public static ReadWriteSplittingBuilder AddReadWriteSplitting(this IServiceCollection services, Action<ReadWriteRouterOptions> configure) =>
        services.AddReadWriteSplitting(Options.Options.DefaultName, configure);

    /// <summary>
    /// Registers a named router (one per database): resolve it with <c>GetRequiredKeyedService&lt;ReadWriteRouter&gt;(name)</c> or
    /// <c>[FromKeyedServices(name)]</c>, and its per-request session the same way as <see cref="RoutingSession"/>. The default
    /// name (empty) is also registered without a key.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The router's name.</param>
    /// <param name="configure">Adds the nodes and sets the options.</param>
    /// <returns>A builder for the provider's set-up.</returns>
    public static ReadWriteSplittingBuilder AddReadWriteSplitting(this IServiceCollection services, string name, Action<ReadWriteRouterOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<ReadWriteRouterOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReadWriteRouterOptions>, ReadWriteRouterOptionsValidator>());
        services.TryAddKeyedSingleton(name, static (provider, key) =>
        {
            var routerName = (string)key!;
            return new ReadWriteRouter(
                routerName,
                provider.GetRequiredService<IOptionsMonitor<ReadWriteRouterOptions>>().Get(routerName),
                provider.GetService<TimeProvider>(),
                provider.GetService<ILoggerFactory>(),
                provider.GetService<IMeterFactory>());
        });
        services.TryAddKeyedScoped(name, static (provider, key) => provider.GetRequiredKeyedService<ReadWriteRouter>(key).CreateSession());
        if (name.Length == 0)
        {
            services.TryAddSingleton(static provider => provider.GetRequiredKeyedService<ReadWriteRouter>(Options.Options.DefaultName));
            services.TryAddScoped(static provider => provider.GetRequiredKeyedService<RoutingSession>(Options.Options.DefaultName));
        }

        return new ReadWriteSplittingBuilder(services, name);
    }
}
