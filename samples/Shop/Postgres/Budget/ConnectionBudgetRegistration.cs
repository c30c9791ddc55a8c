using Microsoft.Extensions.Options;

namespace DataPatterns.Samples.Shop.Postgres.Budget;

/// <summary>Registers the connection budget's settings and the start-up report of the pools it sized.</summary>
internal static class ConnectionBudgetRegistration
{
    /// <summary>
    /// Binds and validates <see cref="ConnectionBudgetOptions"/> now (the pools are sized before the host is built, so a
    /// wrong value stops the Shop here with the validator's message) and logs the budgets at start.
    /// </summary>
    public static ConnectionBudgetOptions AddShopConnectionBudget(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(ConnectionBudgetOptions.Section);
        var options = section.Get<ConnectionBudgetOptions>() ?? new ConnectionBudgetOptions();
        var validation = new ConnectionBudgetOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ConnectionBudgetOptions), validation.Failures);
        }

        services.AddOptions<ConnectionBudgetOptions>().Bind(section);
        services.AddHostedService<ConnectionBudgetReport>();
        return options;
    }
}
