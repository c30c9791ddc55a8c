using Microsoft.Extensions.Options;

namespace DataPatterns.Samples.Shop.Postgres.Budget;

/// <summary>Refuses, at start-up, a connection budget that cannot size a single pool.</summary>
internal sealed class ConnectionBudgetOptionsValidator : IValidateOptions<ConnectionBudgetOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ConnectionBudgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string S = ConnectionBudgetOptions.Section;
        var failures = new List<string>();
        if (options.Instances is < 1 or > 10_000)
        {
            failures.Add($"{S}:Instances is {options.Instances}; set it to the number of Shop instances sharing the servers (1 to 10000).");
        }

        if (options.Reserved is < 0 or > 100_000)
        {
            failures.Add($"{S}:Reserved is {options.Reserved}; set it from 0 to 100000 (connections left to other clients of each server).");
        }

        if (options.AssumedMaxConnections is < 1 or > 262_143)
        {
            failures.Add($"{S}:AssumedMaxConnections is {options.AssumedMaxConnections}; set it from 1 to 262143 (PostgreSQL's own limit).");
        }

        if (options.MaxPoolSize is < 0 or > 10_000)
        {
            failures.Add($"{S}:MaxPoolSize is {options.MaxPoolSize}; set it from 1 to 10000, or 0 to derive every pool from the budget.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
