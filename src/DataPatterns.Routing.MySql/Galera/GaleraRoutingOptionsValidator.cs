using System.Globalization;
using Microsoft.Extensions.Options;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>Checks <see cref="GaleraRoutingOptions"/> at start-up and lists every problem at once.</summary>
internal sealed class GaleraRoutingOptionsValidator : IValidateOptions<GaleraRoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, GaleraRoutingOptions options)
    {
        var failures = Collect(name, options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static List<string> Collect(string? name, GaleraRoutingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var prefix = $"Galera router '{(string.IsNullOrEmpty(name) ? "(default)" : name)}':";
        List<string> failures = [];
        if (options.MaxWriteAttempts is < 1 or > 100)
        {
            failures.Add($"{prefix} MaxWriteAttempts is {options.MaxWriteAttempts.ToString(CultureInfo.InvariantCulture)}; use 1 (no retry) to 100 tries of a conflicting write transaction.");
        }

        if (options.RetryDelay < TimeSpan.Zero || options.RetryDelay > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{prefix} RetryDelay is {options.RetryDelay}; use zero (retry at once) up to 10 seconds.");
        }

        if (options.CheckTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{prefix} CheckTimeout is {options.CheckTimeout}; use a positive time.");
        }

        return failures;
    }
}
