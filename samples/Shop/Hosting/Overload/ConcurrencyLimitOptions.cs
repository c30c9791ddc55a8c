namespace DataPatterns.Samples.Shop.Hosting.Overload;

/// <summary>
/// The limiter in front of the Shop's handlers: at most <see cref="PermitLimit"/> requests run at once, at most
/// <see cref="QueueLimit"/> wait for a turn, none waits longer than <see cref="QueueTimeoutSeconds"/>; every other request
/// is answered at once with 503, a Retry-After of <see cref="RetryAfterSeconds"/> and a Problem Details body. So a
/// request is served in bounded time or refused quickly, never left to time out as a 500. Set in the
/// <c>Shop:Concurrency</c> section (appsettings.json, or <c>Shop__Concurrency__PermitLimit=…</c> in the environment, or
/// <c>--Shop:Concurrency:PermitLimit=…</c>). <c>/health</c> is never limited.
/// </summary>
public sealed class ConcurrencyLimitOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Shop:Concurrency";

    /// <summary>False turns the limiter off: every request runs at once, however many there are.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Requests that run at once. Default 16 per core (32 on 2 cores): about the concurrency at which the Shop and its
    /// databases give their best throughput (eng/overload-test.sh measures it at 64 connections over two instances).
    /// More running at once does not serve more: under ten times that load it only made the databases and the cores
    /// switch between more calls, and throughput fell; the rest wait in the queue, oldest first.
    /// </summary>
    public int PermitLimit { get; set; } = 16 * Environment.ProcessorCount;

    /// <summary>
    /// Requests that may wait for a turn, oldest first. Default 4,096 per core (8,192 on 2 cores): a load balancer's
    /// burst of thousands of connections queues here (C10K) rather than being refused; 0 refuses whatever cannot run now.
    /// </summary>
    public int QueueLimit { get; set; } = 4096 * Environment.ProcessorCount;

    /// <summary>The longest a request waits for a turn before it is refused with 503 (default 10 s, under a client's usual 30 s).</summary>
    public double QueueTimeoutSeconds { get; set; } = 10;

    /// <summary>The Retry-After a refused request is given, in whole seconds (default 1).</summary>
    public int RetryAfterSeconds { get; set; } = 1;
}
