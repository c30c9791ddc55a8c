using Microsoft.AspNetCore.Mvc;

namespace DataPatterns.Samples.Shop.Hosting.Problems;

/// <summary>Writes a <see cref="ShopProblem"/> as a Problem Details body, with its Retry-After header.</summary>
internal sealed class ProblemWriter(IProblemDetailsService problemDetails)
{
    /// <summary>Writes <paramref name="problem"/>; false when the response had started already and nothing could be written.</summary>
    public async ValueTask<bool> WriteAsync(HttpContext httpContext, ShopProblem problem)
    {
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        httpContext.Response.StatusCode = problem.Status;
        if (problem.RetryAfterHeader is { } retryAfter)
        {
            httpContext.Response.Headers.RetryAfter = retryAfter;
        }

        var details = problem.Errors is { } errors
            ? new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal))
            : new ProblemDetails();
        details.Status = problem.Status;
        details.Title = problem.Title;
        details.Detail = problem.Detail;
        details.Extensions["code"] = problem.Code;
        if (problem.RetryAfter is not null)
        {
            details.Extensions["retryAfterSeconds"] = int.Parse(problem.RetryAfterHeader!, System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (name, value) in problem.Extensions ?? new Dictionary<string, object?>())
        {
            details.Extensions[name] = value;
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details });
    }
}
