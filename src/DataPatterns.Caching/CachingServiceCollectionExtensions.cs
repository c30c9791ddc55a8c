using DataPatterns.Caching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers DataPatterns caches.</summary>
public static class CachingServiceCollectionExtensions
{
    /// <summary>Adds the caching services and returns the builder for caches and providers (<c>.UseRedis(...)</c>).</summary>
    public static CachingBuilder AddCaching(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var names = services.FirstOrDefault(d => d.ServiceType == typeof(CacheNames))?.ImplementationInstance as CacheNames;
        if (names is null)
        {
            names = new CacheNames();
            services.AddSingleton(names);
        }

        services.AddOptions<CachingOptions>().ValidateOnStart();
        services.TryAddSingleton(sp => new CachingMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheOptions>, CacheOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CachingOptions>, CacheOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CachingHostedService>());
        return new CachingBuilder(services, names.Names);
    }

    /// <summary>Adds the caching services and configures caches in <paramref name="configure"/>.</summary>
    public static CachingBuilder AddCaching(this IServiceCollection services, Action<CachingBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.AddCaching();
        configure(builder);
        return builder;
    }

    private sealed class CacheNames
    {
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
    }
}
