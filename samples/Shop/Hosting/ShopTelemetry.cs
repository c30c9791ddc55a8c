using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DataPatterns.Samples.Shop.Hosting;

/// <summary>
/// OpenTelemetry for the Shop: every DataPatterns Meter and ActivitySource in one call each, exported over OTLP to the
/// collector named by <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the standard variable) or <c>Shop:Telemetry:OtlpEndpoint</c>.
/// With neither set, nothing is registered: the sample exports nothing by default and pays nothing for it.
/// </summary>
internal static class ShopTelemetry
{
    /// <summary>The configuration key of the collector's address.</summary>
    public const string EndpointKey = "Shop:Telemetry:OtlpEndpoint";

    /// <summary>Registers OpenTelemetry when an OTLP endpoint is configured.</summary>
    public static IServiceCollection AddShopTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var endpoint = configuration[EndpointKey] ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return services;
        }

        var collector = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            ? uri
            : throw new InvalidOperationException($"{EndpointKey} (or OTEL_EXPORTER_OTLP_ENDPOINT) is '{endpoint}', not an absolute URI; give the collector's address, for example http://127.0.0.1:4317.");
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("datapatterns-shop", serviceInstanceId: configuration["node"] ?? "embedded"))
            .WithMetrics(metrics => metrics.AddDataPatternsInstrumentation().AddOtlpExporter(o => o.Endpoint = collector))
            .WithTracing(tracing => tracing.AddDataPatternsInstrumentation().AddOtlpExporter(o => o.Endpoint = collector));
        return services;
    }
}
