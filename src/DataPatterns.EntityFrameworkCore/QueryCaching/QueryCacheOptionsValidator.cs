using Microsoft.Extensions.Options;

namespace DataPatterns.EntityFrameworkCore.QueryCaching;

/// <summary>Checks <see cref="QueryCacheOptions"/> at start-up, naming the setting and the fix.</summary>
internal sealed class QueryCacheOptionsValidator : IValidateOptions<QueryCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, QueryCacheOptions options)
    {
        var failures = new List<string>();
        if (options.DefaultExpiration <= TimeSpan.Zero)
        {
            failures.Add($"QueryCacheOptions.DefaultExpiration is {options.DefaultExpiration}; set it to a positive duration, e.g. TimeSpan.FromMinutes(5).");
        }

        if (options.ReinvalidateAfter < TimeSpan.Zero)
        {
            failures.Add($"QueryCacheOptions.ReinvalidateAfter is {options.ReinvalidateAfter}; set it to zero (off) or a positive delay, e.g. TimeSpan.FromSeconds(5).");
        }

        if (string.IsNullOrEmpty(options.KeyPrefix) || options.KeyPrefix.Length > 64
            || !options.KeyPrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            failures.Add($"QueryCacheOptions.KeyPrefix \"{options.KeyPrefix}\" is not valid; use 1 to 64 letters, digits, '.', '-' or '_'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
