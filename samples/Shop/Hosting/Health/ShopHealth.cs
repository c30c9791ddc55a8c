using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataPatterns.Samples.Shop.Hosting.Health;

/// <summary>
/// The Shop's health endpoints, for a load balancer or an orchestrator:
/// <c>/health/live</c> runs no check (the process answers HTTP: restart it only when this fails);
/// <c>/health/ready</c> runs every check tagged <see cref="ReadyTag"/> (the library's own checks: router, two-phase commit,
/// write-back, backplane, projections) and answers 200 when they are Healthy or Degraded — a busy or partly degraded
/// instance still serves, so taking it out of rotation would only move its load onto the others — and 503 when one is
/// Unhealthy. Both answer JSON with each check's status, description and data, and neither is ever shed by the limiter.
/// </summary>
internal static class ShopHealth
{
    /// <summary>The tag of the checks <c>/health/ready</c> runs.</summary>
    public const string ReadyTag = "ready";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>
    /// Registers the library's checks, each tagged <see cref="ReadyTag"/>: write-back, two-phase commit and projections
    /// always; with the servers, the router and the Redis backplane too. A stopped projection and a lost backplane are
    /// reported as Degraded, not Unhealthy: every instance shares them (only one instance leads a projection), so taking
    /// this one out of rotation would not help.
    /// </summary>
    public static IServiceCollection AddShopHealthChecks(this IServiceCollection services, bool onServers)
    {
        var checks = services.AddHealthChecks()
            .AddCacheWriteBackCheck(tags: [ReadyTag])
            .AddTwoPhaseCommitCheck(tags: [ReadyTag])
            .AddProjectionsCheck(failureStatus: HealthStatus.Degraded, tags: [ReadyTag]);
        if (onServers)
        {
            checks.AddReadWriteRouterCheck(tags: [ReadyTag])
                .AddCacheBackplaneCheck(failureStatus: HealthStatus.Degraded, tags: [ReadyTag]);
        }

        return services;
    }

    /// <summary>Maps <c>/health/live</c> and <c>/health/ready</c>.</summary>
    public static void MapShopHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .DisableRateLimiting();
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        }).DisableRateLimiting();
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            durationSeconds = report.TotalDuration.TotalSeconds,
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                durationSeconds = e.Value.Duration.TotalSeconds,
                // Exception text stays in the log, as for every other answer of the Shop.
                data = e.Value.Data.ToDictionary(d => d.Key, d => Plain(d.Value)),
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json), context.RequestAborted);
    }

    // Numbers, flags and text go out as they are; anything else as its text, so that no check's object graph is serialized.
    private static object? Plain(object? value) =>
        value is null or string or bool or int or long or double or float or decimal ? value : value.ToString();
}
