namespace DataPatterns.Cqrs.Npgsql;

/// <summary>A row's key values, compared element by element.</summary>
internal readonly struct RowKey(object?[] values) : IEquatable<RowKey>
{
    private readonly object?[] _values = values;

    public bool Equals(RowKey other) => _values.AsSpan().SequenceEqual(other._values);

    public override bool Equals(object? obj) => obj is RowKey other && Equals(other);

    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var value in _values)
        {
            hash.Add(value);
        }

        return hash.ToHashCode();
    }
}
