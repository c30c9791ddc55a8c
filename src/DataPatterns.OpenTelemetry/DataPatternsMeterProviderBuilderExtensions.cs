using DataPatterns.OpenTelemetry;

namespace OpenTelemetry.Metrics;

/// <summary>Adds the DataPatterns meters to an OpenTelemetry <see cref="MeterProviderBuilder"/>.</summary>
public static class DataPatternsMeterProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to the Meter of every DataPatterns package (<see cref="DataPatternsInstrumentation.Names"/>): caching,
    /// routing, sharding, two-phase commit, CQRS and their providers.
    /// </summary>
    /// <param name="builder">The meter provider builder (from <c>AddOpenTelemetry().WithMetrics(...)</c>).</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddDataPatternsInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter([.. DataPatternsInstrumentation.Names]);
    }
}
