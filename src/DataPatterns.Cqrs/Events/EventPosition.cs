using System.Globalization;

namespace DataPatterns.Cqrs;

/// <summary>
/// Where an event sits in the event source's total order: first by the writing transaction, then by the sequence number
/// within the source. Ordering by transaction first is what lets a reader never skip an event whose transaction was still
/// in flight while a later-numbered event was already committed. Sources without transactions use 0 for
/// <see cref="Transaction"/>.
/// </summary>
/// <param name="Transaction">The id of the transaction that wrote the event (0 when the source has none).</param>
/// <param name="Sequence">The sequence number the event got when it was written.</param>
public readonly record struct EventPosition(long Transaction, long Sequence) : IComparable<EventPosition>
{
    /// <summary>Before every event: where a new projection starts.</summary>
    public static EventPosition Start => default;

    /// <inheritdoc />
    public int CompareTo(EventPosition other)
    {
        var byTransaction = Transaction.CompareTo(other.Transaction);
        return byTransaction != 0 ? byTransaction : Sequence.CompareTo(other.Sequence);
    }

    /// <summary>True when <paramref name="left"/> comes before <paramref name="right"/>.</summary>
    public static bool operator <(EventPosition left, EventPosition right) => left.CompareTo(right) < 0;

    /// <summary>True when <paramref name="left"/> comes after <paramref name="right"/>.</summary>
    public static bool operator >(EventPosition left, EventPosition right) => left.CompareTo(right) > 0;

    /// <summary>True when <paramref name="left"/> does not come after <paramref name="right"/>.</summary>
    public static bool operator <=(EventPosition left, EventPosition right) => left.CompareTo(right) <= 0;

    /// <summary>True when <paramref name="left"/> does not come before <paramref name="right"/>.</summary>
    public static bool operator >=(EventPosition left, EventPosition right) => left.CompareTo(right) >= 0;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Transaction}/{Sequence}");
}
