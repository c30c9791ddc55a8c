using DataPatterns.OpenTelemetry;

namespace OpenTelemetry.Trace;

/// <summary>Adds the DataPatterns activity sources to an OpenTelemetry <see cref="TracerProviderBuilder"/>.</summary>
public static class DataPatternsTracerProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to the ActivitySource of every DataPatterns package (<see cref="DataPatternsInstrumentation.Names"/>):
    /// cache loads and flushes, routed connections, two-phase commits and recovery, projection batches.
    /// </summary>
    /// <param name="builder">The tracer provider builder (from <c>AddOpenTelemetry().WithTracing(...)</c>).</param>
    /// <returns>The builder.</returns>
    public static TracerProviderBuilder AddDataPatternsInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource([.. DataPatternsInstrumentation.Names]);
    }
}
