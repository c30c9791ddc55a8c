using DataPatterns.Cqrs;
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
        var current = Backoff.For(n, initial, max);
        var next = Backoff.For(n + 1, initial, max);
        return current <= max && next >= current && current >= TimeSpan.Zero;
    }
}
