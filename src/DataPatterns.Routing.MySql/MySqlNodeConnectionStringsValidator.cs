using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DataPatterns.Routing.MySql;

/// <summary>
/// Checks at start-up that every connection-string node of a MySqlConnector router has a connection string MySqlConnector
/// accepts, and says which node's string is wrong and why (otherwise the router's constructor fails later with
/// MySqlConnector's message alone). Routers of other providers are left to their own checks.
/// </summary>
internal sealed class MySqlNodeConnectionStringsValidator : IValidateOptions<ReadWriteRouterOptions>
{
    public ValidateOptionsResult Validate(string? name, ReadWriteRouterOptions options)
    {
        if (options.ProviderFactory is not MySqlConnectorFactory)
        {
            return ValidateOptionsResult.Skip;
        }

        var router = string.IsNullOrEmpty(name) ? "(default)" : name;
        List<string> failures = [];
        foreach (var node in options.Nodes)
        {
            if (node is not { DataSource: null, ConnectionString: { Length: > 0 } connectionString })
            {
                continue;
            }

            try
            {
                var parsed = new MySqlConnectionStringBuilder(connectionString);
                if (string.IsNullOrWhiteSpace(parsed.Server))
                {
                    failures.Add($"Router '{router}': node '{node.Name}' has a connection string without Server; name the MariaDB/MySQL host, as in 'Server=db1;Port=3306;User ID=app;Database=shop'.");
                }
            }
            catch (ArgumentException ex)
            {
                failures.Add($"Router '{router}': node '{node.Name}' has a connection string MySqlConnector does not accept ({ex.Message}); fix it, as in 'Server=db1;Port=3306;User ID=app;Database=shop'.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
