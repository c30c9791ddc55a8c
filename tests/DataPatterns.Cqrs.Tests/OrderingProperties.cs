using DataPatterns.Cqrs;
using DataPatterns.Resilience;
using FsCheck;
using FsCheck.Xunit;

namespace DataPatterns.Cqrs.Tests;

public sealed class OrderingProperties
{
    [Property]
    public bool Event_positions_order_by_transaction_then_sequence(long t1, long s1, long t2, long s2)
    {
        var a = new EventPosition(t1, s1);
        var b = new EventPosition(t2, s2);
        var expected = (t1, s1).CompareTo((t2, s2));
        return Math.Sign(a.CompareTo(b)) == Math.Sign(expected) && (a < b) == (expected < 0) && (a >= b) == (expected >= 0);
    }

    [Property]
    public bool Back_off_grows_and_never_exceeds_the_maximum(PositiveInt attempt, PositiveInt initialMs, PositiveInt maxMs)
    {
        var initial = TimeSpan.FromMilliseconds(initialMs.Get % 10_000);
        var max = initial + TimeSpan.FromMilliseconds(maxMs.Get % 100_000);
        var n = attempt.Get % 100 + 1;
        var current = ExponentialBackoff.Delay(n, initial, max, jitter: false);
        var next = ExponentialBackoff.Delay(n + 1, initial, max, jitter: false);
        return current <= max && next >= current && current >= TimeSpan.Zero;
    }

    [Property]
    public bool Jittered_back_off_stays_in_the_upper_half_of_the_plain_one(PositiveInt attempt, PositiveInt initialMs, PositiveInt maxMs)
    {
        var initial = TimeSpan.FromMilliseconds(initialMs.Get % 10_000);
        var max = initial + TimeSpan.FromMilliseconds(maxMs.Get % 100_000);
        var n = attempt.Get % 100 + 1;
        var plain = ExponentialBackoff.Delay(n, initial, max, jitter: false);
        var jittered = ExponentialBackoff.Delay(n, initial, max);
        return jittered <= plain && jittered.Ticks >= plain.Ticks / 2 - 1;
    }
}
