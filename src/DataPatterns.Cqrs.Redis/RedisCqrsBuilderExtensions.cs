using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs Redis read models into <see cref="CqrsBuilder"/>.</summary>
public static class RedisCqrsBuilderExtensions
{
    /// <summary>
    /// Keeps the projections' read models, checkpoints, leases and dead letters in Redis. Combine with an event source,
    /// e.g. <c>.UseNpgsql(...)</c> for the PostgreSQL outbox; this registration replaces that provider's read-model store.
    /// Uses a registered <see cref="IConnectionMultiplexer"/> if there is one, else connects with
    /// <see cref="RedisCqrsOptions.Configuration"/>.
    /// </summary>
    /// <param name="builder">The CQRS builder.</param>
    /// <param name="configure">Sets the connection and key prefix.</param>
    /// <returns>The builder.</returns>
    public static CqrsBuilder UseRedisReadModels(this CqrsBuilder builder, Action<RedisCqrsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisCqrsOptions>, RedisCqrsOptionsValidator>());
        services.AddOptions<RedisCqrsOptions>().ValidateOnStart();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisCqrsOptions>>().Value;
            if (sp.GetService<IConnectionMultiplexer>() is { } multiplexer)
            {
                return new RedisProjectionStore(multiplexer, options.KeyPrefix);
            }

            return string.IsNullOrWhiteSpace(options.Configuration)
                ? throw new OptionsValidationException(nameof(RedisCqrsOptions), typeof(RedisCqrsOptions), ["RedisCqrsOptions.Configuration is not set and no IConnectionMultiplexer is registered; set one of them."])
                : new RedisProjectionStore(options.Configuration, options.KeyPrefix);
        });
        services.Replace(ServiceDescriptor.Singleton<IProjectionStore>(sp => sp.GetRequiredService<RedisProjectionStore>()));
        services.Replace(ServiceDescriptor.Singleton<IProjectionLeases>(sp => sp.GetRequiredService<RedisProjectionStore>()));
        services.Replace(ServiceDescriptor.Singleton<IDeadLetterStore>(sp => sp.GetRequiredService<RedisProjectionStore>()));
        return builder;
    }
}
