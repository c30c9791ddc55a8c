using Microsoft.Extensions.Options;

namespace DataPatterns.AspNetCore.ReadYourWrites;

/// <summary>Checks <see cref="ReadYourWritesOptions"/> at start-up, with messages that name the fix.</summary>
internal sealed class ReadYourWritesOptionsValidator : IValidateOptions<ReadYourWritesOptions>
{
    public ValidateOptionsResult Validate(string? name, ReadYourWritesOptions options)
    {
        var failures = new List<string>();
        if ((options.Carrier & ReadYourWritesCarrier.CookieAndHeader) == 0 || (options.Carrier & ~ReadYourWritesCarrier.CookieAndHeader) != 0)
        {
            failures.Add($"ReadYourWrites: Carrier {options.Carrier} is not Cookie, Header or CookieAndHeader; choose one of them.");
        }

        if (options.Carrier.HasFlag(ReadYourWritesCarrier.Cookie) && string.IsNullOrWhiteSpace(options.CookieName))
        {
            failures.Add("ReadYourWrites: CookieName is empty; set a cookie name (default 'dp-ryw') or carry the token in a header only.");
        }

        if (options.Carrier.HasFlag(ReadYourWritesCarrier.Header) && string.IsNullOrWhiteSpace(options.HeaderName))
        {
            failures.Add("ReadYourWrites: HeaderName is empty; set a header name (default 'X-Read-Your-Writes') or carry the token in a cookie only.");
        }

        if (options.MaxAge <= TimeSpan.Zero)
        {
            failures.Add($"ReadYourWrites: MaxAge {options.MaxAge} must be positive; a few minutes (the default is 5) outlives any replica lag the router accepts.");
        }

        if (options.MaxTokenLength < 17)
        {
            failures.Add($"ReadYourWrites: MaxTokenLength {options.MaxTokenLength} is below 17, the longest token ('FFFFFFFF/FFFFFFFF'); raise it (default 64).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
