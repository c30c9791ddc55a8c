namespace DataPatterns.Routing;

/// <summary>
/// A limit, per node, on the connections the router has handed out and not yet had back (operations in flight), which
/// adapts to the node's latency in the manner of TCP Vegas and Netflix's gradient limiter: while the time a connection is
/// held stays near the fastest seen, the limit grows; when it climbs, the server is queueing and the limit shrinks
/// toward the concurrency the server can actually run. Beyond the limit, opens wait in a bounded queue, then fail fast
/// with <see cref="NodeOverloadedException"/>, so an overloaded node sheds load instead of answering everything slowly.
/// Off by default. It measures how long each routed connection stays open, so it fits code that opens a connection
/// per operation (the usual pooled-data-source style) best.
/// </summary>
public sealed class AdaptiveConcurrencyOptions
{
    /// <summary>Turns the limit on. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>The limit a node starts with. Default 20.</summary>
    public int InitialLimit { get; set; } = 20;

    /// <summary>The limit never goes below this. Default 2.</summary>
    public int MinLimit { get; set; } = 2;

    /// <summary>The limit never goes above this (keep it at or under the node's pool size). Default 100.</summary>
    public int MaxLimit { get; set; } = 100;

    /// <summary>How many opens may wait for a slot when the limit is reached; more fail at once. Default 50; 0 never waits.</summary>
    public int MaxQueue { get; set; } = 50;

    /// <summary>How long an open waits in the queue before it fails with <see cref="NodeOverloadedException"/>. Default 1 s.</summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The queueing the limit allows, as a share of the concurrency the node runs without slowing down: the limit settles
    /// near (1 + this) times that concurrency. Default 0.1.
    /// </summary>
    public double QueueAllowance { get; set; } = 0.1;

    /// <summary>How far each update moves the limit toward its new estimate (0 to 1). Default 0.5.</summary>
    public double Smoothing { get; set; } = 0.5;

    /// <summary>
    /// How many completions pass between two measurements of the no-queue latency, for which the limit is halved during
    /// one short window: that is how a limit that started above the node's capacity finds it, and how it follows a node
    /// that became slower for good (a bigger data set, a smaller machine). Default 2000.
    /// </summary>
    public int BaselineWindow { get; set; } = 2000;
}
