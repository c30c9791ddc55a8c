using DataPatterns.Cqrs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using DataPatterns.Samples.Shop.Hosting;

namespace DataPatterns.Samples.Shop.Embedded;

/// <summary>The Shop with no servers: in-memory stores, the file decision log, an in-process event source.</summary>
public static class EmbeddedShop
{
    /// <summary>Registers every package on in-process stores; routing needs a replica, so it is the one pattern left out.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="dataDirectory">Where the two-phase-commit decision log lives.</param>
    /// <param name="writeBackFlushInterval">How often queued carts are flushed.</param>
    public static IServiceCollection AddShopEmbedded(this IServiceCollection services, string dataDirectory, TimeSpan writeBackFlushInterval)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EmbeddedEventLog>();
        services.AddSingleton<EmbeddedDatabases>();
        services.AddSingleton<EmbeddedProjectionStore>();

        services.AddShopCaches(durableWriteBack: false, writeBackFlushInterval);
        services.AddShopShards();

        var databases = new List<Func<IServiceProvider, EmbeddedDatabase>>
        {
            sp => sp.GetRequiredService<EmbeddedDatabases>().Payments,
            sp => sp.GetRequiredService<EmbeddedDatabases>().Shards[ShopShards.OrdersOne],
            sp => sp.GetRequiredService<EmbeddedDatabases>().Shards[ShopShards.OrdersTwo],
        };
        var twoPhaseCommit = services.AddTwoPhaseCommit(o =>
        {
            o.Prefix = "shop";
            o.NodeId = "embedded";
            o.DecisionLogPath = Path.Combine(dataDirectory, "2pc-decisions.log");
        });
        foreach (var database in databases)
        {
            twoPhaseCommit.AddResource(database);
        }

        services.AddCqrs(cqrs => cqrs
            .AddShopHandlers()
            .AddProjection<EmbeddedOrderHistoryProjection>());
        services.AddSingleton<IEventSource>(sp => sp.GetRequiredService<EmbeddedEventLog>());
        services.AddSingleton<IProjectionStore>(sp => sp.GetRequiredService<EmbeddedProjectionStore>());
        services.AddSingleton<IProjectionLeases>(sp => sp.GetRequiredService<EmbeddedProjectionStore>());
        services.AddSingleton<IDeadLetterStore>(sp => sp.GetRequiredService<EmbeddedProjectionStore>());

        services.AddSingleton<ICatalogStore, EmbeddedCatalogStore>();
        services.AddSingleton<ICartStore, EmbeddedCartStore>();
        services.AddSingleton<IOrderLedger, EmbeddedOrderLedger>();
        services.AddSingleton<IOrderHistoryReader, EmbeddedOrderHistoryReader>();
        services.AddSingleton<IWriteConsistency, EmbeddedWriteConsistency>();
        return services;
    }
}
