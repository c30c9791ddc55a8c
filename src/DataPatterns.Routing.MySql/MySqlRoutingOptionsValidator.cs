using Microsoft.Extensions.Options;

namespace DataPatterns.Routing.MySql;

/// <summary>Checks <see cref="MySqlRoutingOptions"/> at start-up and lists every problem at once.</summary>
internal sealed class MySqlRoutingOptionsValidator : IValidateOptions<MySqlRoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, MySqlRoutingOptions options)
    {
        var router = string.IsNullOrEmpty(name) ? "(default)" : name;
        List<string> failures = [];
        if (!Enum.IsDefined(options.Dialect))
        {
            failures.Add($"Router '{router}': MySqlRoutingOptions.Dialect is {(int)options.Dialect}, which is not a MySqlDialect; use Auto, MariaDb or MySql.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
