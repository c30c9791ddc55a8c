using DataPatterns.Samples.Shop.Validation;

namespace DataPatterns.Samples.Shop.Hosting.Problems;

/// <summary>Every error the Shop answers is a Problem Details body (RFC 9457) with a traceId, whoever produced it.</summary>
internal static class ProblemDetailsRegistration
{
    /// <summary>
    /// Problem Details for every error: exceptions (through <see cref="ShopExceptionHandler"/>), empty error answers
    /// (unknown routes, wrong methods, through the status-code pages) and request bodies that cannot be read (ASP.NET
    /// Core is told to throw for those, so that they reach the same mapping instead of ending as an empty 400).
    /// </summary>
    public static IServiceCollection AddShopProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions["traceId"] = ShopExceptionHandler.TraceIdOf(context.HttpContext);
            if (context.ProblemDetails.Detail is null && DetailOf(context.ProblemDetails.Status, context.HttpContext.Request.Method) is var (code, detail))
            {
                context.ProblemDetails.Detail = detail;
                context.ProblemDetails.Extensions.TryAdd("code", code);
            }
        });
        services.AddExceptionHandler<ShopExceptionHandler>();
        services.AddSingleton<ProblemWriter>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = ShopRules.MaxRequestBodyBytes);
        // A misspelt field ("prise") is refused rather than ignored, which would leave the real field at its default.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow);
        return services;
    }

    // The answers ASP.NET Core makes with an empty body (the status-code pages fill them in): say what to do.
    private static (string Code, string Detail)? DetailOf(int? status, string method) => status switch
    {
        StatusCodes.Status404NotFound => ("no-such-endpoint", "No endpoint has this path; GET / lists the Shop's endpoints."),
        StatusCodes.Status405MethodNotAllowed => ("method-not-allowed", $"This path does not take {method}; the Allow header lists the methods it takes."),
        StatusCodes.Status413PayloadTooLarge => ("body-too-large", $"The Shop takes bodies of at most {ShopRules.MaxRequestBodyBytes / 1024} KB; send a smaller one."),
        StatusCodes.Status415UnsupportedMediaType => ("not-json", "Send the body as JSON with the header Content-Type: application/json."),
        _ => null,
    };

    /// <summary>The exception handler and the status-code pages, first in the pipeline so that they cover everything after them.</summary>
    public static WebApplication UseShopProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
