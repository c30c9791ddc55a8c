using System.Data.Common;
using DataPatterns.Routing;
using DataPatterns.Routing.MySql;
using DataPatterns.Routing.MySql.Galera;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>MariaDB Galera for a router registered with <c>AddReadWriteSplitting</c>.</summary>
public static class GaleraReadWriteSplittingBuilderExtensions
{
    /// <summary>
    /// Galera mode with the default settings (see <see cref="UseGalera(ReadWriteSplittingBuilder, Action{GaleraRoutingOptions})"/>).
    /// </summary>
    /// <param name="builder">The builder from <c>AddReadWriteSplitting</c>.</param>
    /// <returns>The builder.</returns>
    public static ReadWriteSplittingBuilder UseGalera(this ReadWriteSplittingBuilder builder) => builder.UseGalera(static _ => { });

    /// <summary>
    /// Galera mode: every Synced node of the cluster takes reads and writes; a node that is Joining, Donor/Desynced, not
    /// ready or outside the Primary component takes nothing until it is Synced again; node connection strings become
    /// MySqlConnector data sources shared with a <see cref="GaleraWriter"/> (registered beside the router, keyed by its
    /// name) that retries certification conflicts and routes writes by key. The options are validated at start, and the
    /// host does not start when a node is not a Galera node.
    /// </summary>
    /// <param name="builder">The builder from <c>AddReadWriteSplitting</c>.</param>
    /// <param name="configure">Sets the Galera settings.</param>
    /// <returns>The builder.</returns>
    public static ReadWriteSplittingBuilder UseGalera(this ReadWriteSplittingBuilder builder, Action<GaleraRoutingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var name = builder.Name;
        var services = builder.Services;
        services.AddOptions<GaleraRoutingOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GaleraRoutingOptions>, GaleraRoutingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReadWriteRouterOptions>, MySqlNodeConnectionStringsValidator>());
        services.TryAddSingleton<GaleraNodeDataSources>();
        builder.Configure(static options => options.UseGalera());
        services.AddOptions<ReadWriteRouterOptions>(name).PostConfigure<GaleraNodeDataSources>((options, sources) => sources.Share(name, options));
        services.TryAddKeyedSingleton(name, static (provider, key) => CreateWriter(provider, (string)key!));
        if (name.Length == 0)
        {
            services.TryAddSingleton(static provider => provider.GetRequiredKeyedService<GaleraWriter>(Options.Options.DefaultName));
        }

        services.AddSingleton<IHostedService>(provider => new GaleraStartupCheck(
            name,
            provider.GetRequiredService<IOptionsMonitor<ReadWriteRouterOptions>>(),
            provider.GetRequiredService<IOptionsMonitor<GaleraRoutingOptions>>(),
            provider.GetService<ILogger<GaleraStartupCheck>>() ?? NullLogger<GaleraStartupCheck>.Instance));
        return builder;
    }

    private static GaleraWriter CreateWriter(IServiceProvider provider, string name)
    {
        var nodes = new Dictionary<string, DbDataSource>(StringComparer.Ordinal);
        foreach (var node in provider.GetRequiredService<IOptionsMonitor<ReadWriteRouterOptions>>().Get(name).Nodes)
        {
            if (node?.DataSource is { } dataSource)
            {
                nodes[node.Name] = dataSource;
            }
        }

        return new GaleraWriter(
            provider.GetRequiredKeyedService<ReadWriteRouter>(name),
            nodes,
            provider.GetRequiredService<IOptionsMonitor<GaleraRoutingOptions>>().Get(name),
            provider.GetService<TimeProvider>(),
            provider.GetService<ILoggerFactory>());
    }
}
