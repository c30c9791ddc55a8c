using DataPatterns.Routing;
using DataPatterns.Routing.Npgsql;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>PostgreSQL for a router registered with <c>AddReadWriteSplitting</c>.</summary>
public static class NpgsqlReadWriteSplittingBuilderExtensions
{
    /// <summary>
    /// Uses PostgreSQL: node connection strings become <see cref="NpgsqlDataSource"/>s and the router probes with
    /// <see cref="NpgsqlRoutingProbe"/>. Settings the application made itself (its own probe or factory) are kept.
    /// </summary>
    /// <param name="builder">The builder from <c>AddReadWriteSplitting</c>.</param>
    /// <returns>The builder.</returns>
    public static ReadWriteSplittingBuilder UseNpgsql(this ReadWriteSplittingBuilder builder) => builder.UseNpgsql(static _ => { });

    /// <summary>
    /// Uses PostgreSQL as <see cref="UseNpgsql(ReadWriteSplittingBuilder)"/> does, with PostgreSQL settings: the
    /// connection-budget check at start (on by default) and how many instances share the servers.
    /// </summary>
    /// <param name="builder">The builder from <c>AddReadWriteSplitting</c>.</param>
    /// <param name="configure">Sets the PostgreSQL settings.</param>
    /// <returns>The builder.</returns>
    public static ReadWriteSplittingBuilder UseNpgsql(this ReadWriteSplittingBuilder builder, Action<NpgsqlRoutingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var name = builder.Name;
        builder.Services.AddOptions<NpgsqlRoutingOptions>(name).Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NpgsqlRoutingOptions>, NpgsqlRoutingOptionsValidator>());
        builder.Services.AddSingleton<IHostedService>(provider => new NpgsqlConnectionBudgetCheck(
            name,
            provider.GetRequiredService<IOptionsMonitor<ReadWriteRouterOptions>>(),
            provider.GetRequiredService<IOptionsMonitor<NpgsqlRoutingOptions>>(),
            provider.GetService<ILogger<NpgsqlConnectionBudgetCheck>>() ?? NullLogger<NpgsqlConnectionBudgetCheck>.Instance));
        return builder.Configure(static options => options.UseNpgsql());
    }
}
