namespace DataPatterns.Caching;

/// <summary>
/// The memory level's clock. On the system <see cref="TimeProvider"/> it reads <see cref="Environment.TickCount64"/>
/// (milliseconds, a coarse clock that costs a few nanoseconds, so a hit stays cheaper than <c>IMemoryCache</c>); on any
/// other provider (a test's fake time) it reads <see cref="TimeProvider.GetTimestamp"/>.
/// </summary>
internal sealed class MemoryClock
{
    private readonly TimeProvider _time;
    private readonly bool _coarse;

    public MemoryClock(TimeProvider time)
    {
        _time = time;
        _coarse = ReferenceEquals(time, TimeProvider.System);
        Frequency = _coarse ? 1000 : time.TimestampFrequency;
    }

    /// <summary>Ticks per second of <see cref="Now"/>.</summary>
    public long Frequency { get; }

    public long Now() => _coarse ? Environment.TickCount64 : _time.GetTimestamp();

    public long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Frequency);

    public TimeSpan ToTimeSpan(long ticks) => TimeSpan.FromSeconds((double)ticks / Frequency);
}
