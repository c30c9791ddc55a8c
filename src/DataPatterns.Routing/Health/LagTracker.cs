namespace DataPatterns.Routing;

/// <summary>
/// Turns log positions into time: it remembers when the primary's write position first reached each value (a bounded
/// ring of changes), so a replica that has replayed up to R is behind by "now minus the first moment the primary was
/// past R". This needs no clock on the database and stays right while the primary is idle (the position does not move,
/// so nothing new is recorded and a caught-up replica shows zero).
/// </summary>
internal sealed class LagTracker
{
    private readonly (long Timestamp, ulong Position)[] _samples;
    private int _start;
    private int _count;

    public LagTracker(int capacity = 256) => _samples = new (long, ulong)[capacity];

    /// <summary>Records the primary's write position seen at <paramref name="timestamp"/> (only changes are kept).</summary>
    public void RecordPrimary(long timestamp, ConsistencyToken position)
    {
        if (_count > 0)
        {
            var last = _samples[(_start + _count - 1) % _samples.Length];
            if (position.Position <= last.Position)
            {
                return;
            }
        }

        if (_count == _samples.Length)
        {
            _start = (_start + 1) % _samples.Length;
            _count--;
        }

        _samples[(_start + _count) % _samples.Length] = (timestamp, position.Position);
        _count++;
    }

    /// <summary>Forgets every sample (the primary changed; the new one's positions are not comparable to the old samples).</summary>
    public void Reset()
    {
        _start = 0;
        _count = 0;
    }

    /// <summary>How far behind a replica that replayed up to <paramref name="replayed"/> is at <paramref name="now"/>.</summary>
    public TimeSpan LagOf(ConsistencyToken replayed, long now, TimeProvider timeProvider)
    {
        for (var i = 0; i < _count; i++)
        {
            var sample = _samples[(_start + i) % _samples.Length];
            if (sample.Position > replayed.Position)
            {
                // The first moment the primary was known to be past the replica: the replica has missed data since then.
                var lag = timeProvider.GetElapsedTime(sample.Timestamp, now);
                return lag < TimeSpan.Zero ? TimeSpan.Zero : lag;
            }
        }

        return TimeSpan.Zero;
    }
}
