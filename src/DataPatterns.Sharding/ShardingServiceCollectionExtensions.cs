using DataPatterns.Sharding;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers DataPatterns sharding.</summary>
public static class ShardingServiceCollectionExtensions
{
    /// <summary>
    /// Adds sharding: configure named shard sets on the builder, e.g.
    /// <c>services.AddSharding(s => s.AddShardSet&lt;long&gt;("orders", o => o.AddShard("orders-1").AddShard("orders-2")).MapTo((sp, shard) => dataSources[shard.Name]))</c>.
    /// Resolve a set's <see cref="ShardResolver{TKey}"/> as a keyed service under its name, or through <see cref="ShardSets"/>.
    /// </summary>
    /// <returns>The builder, as every other entry point returns one (its <see cref="ShardingBuilder.Services"/> is the collection).</returns>
    public static ShardingBuilder AddSharding(this IServiceCollection services, Action<ShardingBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var registrations = FindRegistrations(services);
        if (registrations is null)
        {
            registrations = new ShardingRegistrations();
            services.AddSingleton(registrations);
        }

        services.AddOptions();
        services.TryAddSingleton<ShardSets>();
        var builder = new ShardingBuilder(services, registrations);
        configure(builder);
        return builder;
    }

    private static ShardingRegistrations? FindRegistrations(IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(ShardingRegistrations) && !descriptor.IsKeyedService && descriptor.ImplementationInstance is ShardingRegistrations existing)
            {
                return existing;
            }
        }

        return null;
    }
}
