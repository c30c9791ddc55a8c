using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Npgsql;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs PostgreSQL into <see cref="CqrsBuilder"/>.</summary>
public static class NpgsqlCqrsBuilderExtensions
{
    /// <summary>
    /// Uses PostgreSQL for the outbox (<see cref="NpgsqlOutbox"/>, inject it into command handlers), the event source,
    /// the read-model store with its checkpoints, leases and dead letters.
    /// </summary>
    /// <param name="builder">The CQRS builder.</param>
    /// <param name="configure">Sets the connection strings and names.</param>
    /// <returns>The builder.</returns>
    public static CqrsBuilder UseNpgsql(this CqrsBuilder builder, Action<NpgsqlCqrsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NpgsqlCqrsOptions>, NpgsqlCqrsOptionsValidator>());
        services.AddOptions<NpgsqlCqrsOptions>().ValidateOnStart();
        services.TryAddSingleton<NpgsqlCqrsDataSources>();
        services.TryAddSingleton(sp => new NpgsqlOutbox(sp.GetRequiredService<NpgsqlCqrsDataSources>().Events, Options(sp)));
        services.TryAddSingleton(sp => new NpgsqlEventSource(sp.GetRequiredService<NpgsqlCqrsDataSources>().Events, Options(sp), sp.GetService<TimeProvider>()));
        services.TryAddSingleton(sp => new NpgsqlProjectionStore(sp.GetRequiredService<NpgsqlCqrsDataSources>().ReadModels, Options(sp)));
        services.TryAddSingleton<IEventSource>(sp => sp.GetRequiredService<NpgsqlEventSource>());
        services.TryAddSingleton<IProjectionStore>(sp => sp.GetRequiredService<NpgsqlProjectionStore>());
        services.TryAddSingleton<IProjectionLeases>(sp => sp.GetRequiredService<NpgsqlProjectionStore>());
        services.TryAddSingleton<IDeadLetterStore>(sp => sp.GetRequiredService<NpgsqlProjectionStore>());
        return builder;
    }

    private static NpgsqlCqrsOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<NpgsqlCqrsOptions>>().Value;
}

/// <summary>The data sources built from <see cref="NpgsqlCqrsOptions"/>, shared and disposed with the container.</summary>
internal sealed class NpgsqlCqrsDataSources : IAsyncDisposable
{
    public NpgsqlCqrsDataSources(IOptions<NpgsqlCqrsOptions> options)
    {
        var value = options.Value;
        Events = NpgsqlDataSource.Create(WithAutoPrepare(value.ConnectionString!));
        ReadModels = string.IsNullOrWhiteSpace(value.ReadModelConnectionString) || value.ReadModelConnectionString == value.ConnectionString
            ? Events
            : NpgsqlDataSource.Create(WithAutoPrepare(value.ReadModelConnectionString));
    }

    /// <summary>The runner repeats a handful of statements: let Npgsql prepare them unless the connection string says otherwise.</summary>
    private static string WithAutoPrepare(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 32;
        }

        return builder.ConnectionString;
    }

    public NpgsqlDataSource Events { get; }

    public NpgsqlDataSource ReadModels { get; }

    public async ValueTask DisposeAsync()
    {
        await Events.DisposeAsync().ConfigureAwait(false);
        if (!ReferenceEquals(ReadModels, Events))
        {
            await ReadModels.DisposeAsync().ConfigureAwait(false);
        }
    }
}
