namespace DataPatterns.AspNetCore;

/// <summary>
/// The names the package reports under: one <see cref="System.Diagnostics.Metrics.Meter"/> and one
/// <see cref="System.Diagnostics.ActivitySource"/>, both named <see cref="Name"/>.
/// </summary>
public static class AspNetCoreTelemetry
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "DataPatterns.AspNetCore";
}
