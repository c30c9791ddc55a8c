using DataPatterns.AspNetCore;
using DataPatterns.AspNetCore.ReadYourWrites;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the read-your-writes middleware's options.</summary>
public static class ReadYourWritesServiceCollectionExtensions
{
    /// <summary>Registers the options of <c>UseReadYourWrites()</c>, validated at start-up.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the defaults (cookie named <c>dp-ryw</c>, HttpOnly, SameSite=Lax, 5 minutes).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddReadYourWrites(this IServiceCollection services, Action<ReadYourWritesOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<ReadYourWritesOptions>().ValidateOnStart();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReadYourWritesOptions>, ReadYourWritesOptionsValidator>());
        services.TryAddSingleton<ReadYourWritesMarker>();
        return services;
    }
}
