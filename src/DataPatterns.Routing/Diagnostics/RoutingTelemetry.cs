namespace DataPatterns.Routing;

/// <summary>
/// The names the package reports under: one <see cref="System.Diagnostics.Metrics.Meter"/> and one
/// <see cref="System.Diagnostics.ActivitySource"/>, both named <see cref="Name"/>. Every instrument carries the router's
/// name (<c>datapatterns.routing.router</c>) and, where it applies, the node's (<c>datapatterns.routing.node</c>).
/// </summary>
public static class RoutingTelemetry
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "DataPatterns.Routing";
}
