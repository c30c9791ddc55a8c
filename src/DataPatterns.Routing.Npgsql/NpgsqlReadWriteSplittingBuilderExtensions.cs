using DataPatterns.Routing;
using DataPatterns.Routing.Npgsql;
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
    public static ReadWriteSplittingBuilder UseNpgsql(this ReadWriteSplittingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Configure(static options => options.UseNpgsql());
    }
}
