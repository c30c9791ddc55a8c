using DataPatterns.Routing;
using DataPatterns.Routing.MySql;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>MariaDB/MySQL primary/replica replication for a router registered with <c>AddReadWriteSplitting</c>.</summary>
public static class MySqlReadWriteSplittingBuilderExtensions
{
    /// <summary>Uses MariaDB/MySQL with the default settings (GTID domain 0, dialect told by the server version).</summary>
    /// <param name="builder">The builder from <c>AddReadWriteSplitting</c>.</param>
    /// <returns>The builder.</returns>
    public static ReadWriteSplittingBuilder UseMySql(this ReadWriteSplittingBuilder builder) => builder.UseMySql(static _ => { });

    /// <summary>
    /// Uses MariaDB/MySQL: node connection strings become MySqlConnector data sources, the router probes with
    /// <see cref="MySqlRoutingProbe"/> (role by read_only, GTID positions, replica status) and read-your-writes reads wait
    /// with <c>MASTER_GTID_WAIT</c>. A start-up check (in the background, log only) says when a node is not a MariaDB/MySQL
    /// server or the primary writes in more than one GTID domain. A probe or factory the application set itself is kept.
    /// </summary>
    /// <param name="builder">The builder from <c>AddReadWriteSplitting</c>.</param>
    /// <param name="configure">Sets the MariaDB/MySQL settings.</param>
    /// <returns>The builder.</returns>
    public static ReadWriteSplittingBuilder UseMySql(this ReadWriteSplittingBuilder builder, Action<MySqlRoutingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var name = builder.Name;
        var services = builder.Services;
        services.AddOptions<MySqlRoutingOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MySqlRoutingOptions>, MySqlRoutingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReadWriteRouterOptions>, MySqlNodeConnectionStringsValidator>());
        services.AddOptions<ReadWriteRouterOptions>(name)
            .Configure<IOptionsMonitor<MySqlRoutingOptions>>((options, settings) => options.UseMySql(ValidOrDefault(settings, name)));
        services.AddSingleton<IHostedService>(provider => new MySqlStartupCheck(
            name,
            provider.GetRequiredService<IOptionsMonitor<ReadWriteRouterOptions>>(),
            provider.GetRequiredService<IOptionsMonitor<MySqlRoutingOptions>>(),
            provider.GetService<ILogger<MySqlStartupCheck>>() ?? NullLogger<MySqlStartupCheck>.Instance));
        return builder;
    }

    // Invalid MySQL settings fail the start through their own validation; the router's options are still built (with the
    // defaults) so that the start-up error lists every problem of both at once instead of only the first.
    private static MySqlRoutingOptions? ValidOrDefault(IOptionsMonitor<MySqlRoutingOptions> settings, string name)
    {
        try
        {
            return settings.Get(name);
        }
        catch (OptionsValidationException)
        {
            return null;
        }
    }
}
