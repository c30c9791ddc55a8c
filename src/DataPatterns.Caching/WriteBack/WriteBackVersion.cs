namespace DataPatterns.Caching;

/// <summary>
/// The scale of write-back versions: milliseconds since the Unix epoch shifted left by 20 bits, plus a sequence within the
/// millisecond. The in-memory queue counts on it from the clock; a store such as a Redis stream (ids
/// <c>milliseconds-sequence</c>) maps its positions onto it with <see cref="From"/>, so versions of both compare
/// sensibly. It lasts beyond the year 2200.
/// </summary>
public static class WriteBackVersion
{
    private const int SequenceBits = 20;
    private const long MaxSequence = (1L << SequenceBits) - 1;
    private static long s_last;

    /// <summary>The version of the <paramref name="sequence"/>-th write within millisecond <paramref name="unixMilliseconds"/>.</summary>
    /// <param name="unixMilliseconds">Milliseconds since the Unix epoch.</param>
    /// <param name="sequence">The write's number within that millisecond (capped at about a million).</param>
    /// <returns>The version.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative argument.</exception>
    public static long From(long unixMilliseconds, long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(unixMilliseconds);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        return (unixMilliseconds << SequenceBits) | Math.Min(sequence, MaxSequence);
    }

    /// <summary>The next version of this process: strictly greater than the last one handed out, near the clock.</summary>
    internal static long Next(TimeProvider time)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds() << SequenceBits;
        while (true)
        {
            var last = Volatile.Read(ref s_last);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref s_last, next, last) == last)
            {
                return next;
            }
        }
    }
}
