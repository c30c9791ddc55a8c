namespace DataPatterns.Cqrs;

/// <summary>Exponential back-off: initial × 2^(attempt−1), capped.</summary>
internal static class Backoff
{
    public static TimeSpan For(int attempt, TimeSpan initial, TimeSpan max)
    {
        if (attempt <= 1 || initial <= TimeSpan.Zero)
        {
            return initial < max ? initial : max;
        }

        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var ticks = initial.Ticks * factor;
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }
}
