namespace DataPatterns.Cqrs;

/// <summary>When the projection health check turns unhealthy.</summary>
public sealed class ProjectionHealthOptions
{
    /// <summary>Unhealthy when a led projection is more than this many events behind. Default 10,000.</summary>
    public long MaxEventsBehind { get; set; } = 10_000;

    /// <summary>Unhealthy when a led projection's oldest unapplied event is older than this. Default 30 s.</summary>
    public TimeSpan MaxTimeBehind { get; set; } = TimeSpan.FromSeconds(30);
}
