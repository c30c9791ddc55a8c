using Microsoft.Extensions.Options;

namespace DataPatterns.Samples.Shop.Hosting.Overload;

/// <summary>Refuses, at start-up, limiter settings that would refuse everything or queue without bound.</summary>
internal sealed class ConcurrencyLimitOptionsValidator : IValidateOptions<ConcurrencyLimitOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ConcurrencyLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        const string S = ConcurrencyLimitOptions.Section;
        var failures = new List<string>();
        if (options.PermitLimit is < 1 or > 100_000)
        {
            failures.Add($"{S}:PermitLimit is {options.PermitLimit}; set it from 1 to 100000 (or {S}:Enabled=false to turn the limiter off).");
        }

        if (options.QueueLimit is < 0 or > 1_000_000)
        {
            failures.Add($"{S}:QueueLimit is {options.QueueLimit}; set it from 0 (refuse what cannot run at once) to 1000000.");
        }

        if (!(options.QueueTimeoutSeconds is > 0 and <= 300))
        {
            failures.Add($"{S}:QueueTimeoutSeconds is {options.QueueTimeoutSeconds}; set it above 0 and at most 300, shorter than the clients' own timeout.");
        }

        if (options.RetryAfterSeconds is < 1 or > 3600)
        {
            failures.Add($"{S}:RetryAfterSeconds is {options.RetryAfterSeconds}; set it from 1 to 3600.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
