using System.Threading.RateLimiting;
using DataPatterns.Samples.Shop.Hosting.Problems;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DataPatterns.Samples.Shop.Hosting.Overload;

/// <summary>Puts the concurrency limiter of <see cref="ConcurrencyLimitOptions"/> in front of the handlers.</summary>
internal static partial class OverloadProtection
{
    /// <summary>Registers the limiter and its settings (validated at start-up).</summary>
    public static IServiceCollection AddShopOverloadProtection(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ConcurrencyLimitOptions>().Bind(configuration.GetSection(ConcurrencyLimitOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConcurrencyLimitOptions>, ConcurrencyLimitOptionsValidator>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ConcurrencyLimitOptions>, TimeProvider, ILoggerFactory>((limiter, limits, time, loggers) =>
        {
            var settings = limits.Value;
            var retryAfter = TimeSpan.FromSeconds(settings.RetryAfterSeconds);
            var logger = loggers.CreateLogger(typeof(OverloadProtection));
            limiter.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            // One partition: the whole instance shares one budget, which is what its cores and pools are.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(_ => RateLimitPartition.Get("shop", _ => new WaitBoundedLimiter(
                new ConcurrencyLimiter(new ConcurrencyLimiterOptions
                {
                    PermitLimit = settings.PermitLimit,
                    QueueLimit = settings.QueueLimit,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                }),
                TimeSpan.FromSeconds(settings.QueueTimeoutSeconds),
                retryAfter,
                time)));
            limiter.OnRejected = async (context, _) =>
            {
                var after = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var leaseAfter) ? leaseAfter : retryAfter;
                var http = context.HttpContext;
                Shed(logger, http.Request.Method, http.Request.Path);
                await http.RequestServices.GetRequiredService<ProblemWriter>().WriteAsync(http, ProblemMapping.Shed(after));
            };
        });
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>Adds the limiter to the pipeline when it is enabled; after routing, so that /health can opt out.</summary>
    public static WebApplication UseShopOverloadProtection(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ConcurrencyLimitOptions>>().Value.Enabled)
        {
            app.UseRateLimiter();
        }

        return app;
    }

    [LoggerMessage(EventId = 9010, Level = LogLevel.Debug, Message = "{Method} {Path} was refused with 503: the concurrency limit and its queue are full, or it waited too long.")]
    private static partial void Shed(ILogger logger, string method, PathString path);
}
