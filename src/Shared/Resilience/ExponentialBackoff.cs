namespace DataPatterns.Resilience;

/// <summary>
/// The one back-off of every background retry in the library (write-back flushes, phase-2 delivery, projection batches),
/// shared as source so that each core package keeps its dependencies: the delay doubles per attempt from the first delay
/// up to the largest, and with jitter each wait is drawn from its upper half, so that many instances that failed
/// together (a database restart) do not retry in lock step. The waits never exceed the un-jittered ones.
/// </summary>
internal static class ExponentialBackoff
{
    /// <summary>The wait before retry number <paramref name="attempt"/> (1 for the first retry).</summary>
    /// <param name="attempt">How many attempts have failed so far.</param>
    /// <param name="delay">The first wait.</param>
    /// <param name="maxDelay">The longest wait.</param>
    /// <param name="jitter">Draw each wait from its upper half.</param>
    public static TimeSpan Delay(int attempt, TimeSpan delay, TimeSpan maxDelay, bool jitter = true)
    {
        if (delay <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var ticks = Math.Min(delay.Ticks * factor, Math.Max(delay.Ticks, maxDelay.Ticks));
        if (jitter)
        {
            ticks = (ticks / 2) + (Random.Shared.NextDouble() * ticks / 2);
        }

        return TimeSpan.FromTicks((long)ticks);
    }
}
