using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DataPatterns.Sharding;

/// <summary>Registers shard sets; returned by <c>AddSharding</c>.</summary>
public sealed class ShardingBuilder
{
    internal ShardingBuilder(IServiceCollection services, ShardingRegistrations registrations)
    {
        Services = services;
        Registrations = registrations;
    }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    internal ShardingRegistrations Registrations { get; }

    /// <summary>
    /// Adds a named shard set. Its <see cref="ShardResolver{TKey}"/> is a keyed singleton under <paramref name="name"/>;
    /// its options are validated at start-up.
    /// </summary>
    /// <exception cref="InvalidOperationException">A set of that name is already registered.</exception>
    public ShardSetBuilder<TKey> AddShardSet<TKey>(string name, Action<ShardSetOptions<TKey>> configure)
        where TKey : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        if (!Registrations.SetKeyTypes.TryAdd(name, typeof(TKey)))
        {
            throw new InvalidOperationException($"A shard set named '{name}' is already registered; shard set names must be unique.");
        }

        Services.AddOptions<ShardSetOptions<TKey>>(name).Configure(configure).ValidateOnStart();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ShardSetOptions<TKey>>, ShardSetOptionsValidator<TKey>>());
        Services.TryAddKeyedSingleton<ShardResolver<TKey>>(name, (provider, key) =>
        {
            var options = provider.GetRequiredService<IOptionsMonitor<ShardSetOptions<TKey>>>().Get(name);
            var directory = provider.GetKeyedService<IShardDirectorySource<TKey>>(name);
            var resolver = ShardResolverFactory.Create(name, options, directory, provider.GetService<TimeProvider>() ?? TimeProvider.System);
            resolver.Metrics = ShardingMetrics.For(provider.GetService<IMeterFactory>());
            return resolver;
        });
        return new ShardSetBuilder<TKey>(this, name);
    }
}
