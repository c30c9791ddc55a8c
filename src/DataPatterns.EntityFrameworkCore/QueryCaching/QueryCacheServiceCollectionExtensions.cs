using DataPatterns.EntityFrameworkCore.QueryCaching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the EF Core second-level query cache.</summary>
public static class QueryCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers the second-level query cache (<see cref="QueryCache"/>). It stores through the DataPatterns
    /// <c>HybridCache</c>: also call <c>services.AddCaching().UseRedis(...).AddHybridCache()</c>, and configure each
    /// context with <c>options.UseQueryCache(serviceProvider)</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the settings, or <see langword="null"/>.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddEntityFrameworkQueryCache(this IServiceCollection services, Action<QueryCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<QueryCacheOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QueryCacheOptions>, QueryCacheOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<QueryCache>();
        services.TryAddSingleton<QueryCacheInvalidationInterceptor>();
        return services;
    }
}
