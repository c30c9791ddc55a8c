using DataPatterns.Routing;
using DataPatterns.Samples.Shop.Postgres.Budget;

namespace DataPatterns.Samples.Shop.Hosting.Overload;

/// <summary>
/// Turns on the router's adaptive concurrency limit for the Shop's primary and replica: the operations in flight on each
/// node follow its measured latency, and past the limit and its short queue an open fails at once with
/// <see cref="NodeOverloadedException"/>, which the Shop answers with 503 and Retry-After. The limit never goes above the
/// larger of the node pools the connection budget gave this instance, so it sheds before the pool makes callers wait.
/// Settings in the <c>Shop:Routing:AdaptiveConcurrency</c> section (the properties of <see cref="AdaptiveConcurrencyOptions"/>);
/// <c>--Shop:Routing:AdaptiveConcurrency:Enabled=false</c> turns it off.
/// </summary>
public static class RouterConcurrency
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Shop:Routing:AdaptiveConcurrency";

    /// <summary>Applies the Shop's limit to the default router's options, after the router's own set-up.</summary>
    public static IServiceCollection AddShopRouterConcurrency(this IServiceCollection services, IConfiguration configuration, IReadOnlyList<ServerBudget> budgets)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(budgets);
        var pools = budgets.SelectMany(b => b.Pools).ToList();
        int Size(string pool) => pools.Single(p => p.Name == pool).Size;
        var poolLimit = Math.Max(Size(ConnectionBudget.Routing), Size(ConnectionBudget.Replica));
        services.PostConfigure<ReadWriteRouterOptions>(options =>
        {
            var limit = options.AdaptiveConcurrency;
            limit.Enabled = true;
            limit.MaxLimit = poolLimit;
            limit.InitialLimit = Math.Min(limit.InitialLimit, poolLimit);
            limit.MinLimit = Math.Min(limit.MinLimit, limit.InitialLimit);
            // Configuration last, so that an operator's value wins over the budget's.
            configuration.GetSection(Section).Bind(limit);
        });
        return services;
    }
}
