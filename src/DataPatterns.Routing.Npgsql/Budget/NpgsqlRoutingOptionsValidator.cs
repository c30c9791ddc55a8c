using Microsoft.Extensions.Options;

namespace DataPatterns.Routing.Npgsql;

/// <summary>Checks <see cref="NpgsqlRoutingOptions"/> at start-up and lists every problem at once.</summary>
internal sealed class NpgsqlRoutingOptionsValidator : IValidateOptions<NpgsqlRoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, NpgsqlRoutingOptions options)
    {
        var router = string.IsNullOrEmpty(name) ? "(default)" : name;
        List<string> failures = [];
        if (options.ExpectedInstances < 1)
        {
            failures.Add($"Router '{router}': NpgsqlRoutingOptions.ExpectedInstances must be at least 1 (the number of application instances that share the servers); it is {options.ExpectedInstances}.");
        }

        if (options.CheckTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Router '{router}': NpgsqlRoutingOptions.CheckTimeout must be positive; it is {options.CheckTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
