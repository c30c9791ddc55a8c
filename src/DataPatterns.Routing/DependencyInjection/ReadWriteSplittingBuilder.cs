using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Routing;

/// <summary>Returned by <c>AddReadWriteSplitting</c>: provider packages hang their set-up off it (<c>.UseNpgsql()</c>).</summary>
public sealed class ReadWriteSplittingBuilder
{
    internal ReadWriteSplittingBuilder(IServiceCollection services, string name)
    {
        Services = services;
        Name = name;
    }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The router's name (the options name and the service key); empty for the default router.</summary>
    public string Name { get; }

    /// <summary>Configures the router's options further.</summary>
    /// <param name="configure">Changes the options.</param>
    /// <returns>This builder.</returns>
    public ReadWriteSplittingBuilder Configure(Action<ReadWriteRouterOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(Name, configure);
        return this;
    }
}
