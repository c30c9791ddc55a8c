namespace DataPatterns.Sharding;

/// <summary>
/// A table whose rows carry their virtual bucket in a column (filled from <see cref="BucketShardResolver{TKey}.BucketOf"/>
/// when the row is written, and indexed), which is what makes moving a bucket one indexed query.
/// </summary>
/// <remarks>
/// Give every name exactly as the database stores it, unquoted: <c>order</c>, <c>BucketId</c>, <c>line item</c>.
/// <see cref="BucketMover"/> quotes each one with the database's rule (see <see cref="SqlIdentifierQuoting"/>), so a
/// reserved word, a mixed-case name or one built from input is one name and never SQL of its own.
/// </remarks>
/// <param name="Name">The table name, unquoted and unqualified (put the schema in <see cref="Schema"/>, not in a dotted name).</param>
/// <param name="BucketColumn">The integer column holding the row's bucket, unquoted.</param>
/// <param name="Columns">The columns to copy (all columns of the table, bucket included), unquoted.</param>
public sealed record BucketTable(string Name, string BucketColumn, IReadOnlyList<string> Columns)
{
    /// <summary>The table's schema, unquoted (PostgreSQL schema, MySQL database, SQL Server schema); null for the connection's default.</summary>
    public string? Schema { get; init; }

    /// <summary>The table as people write it, for messages and progress: <c>schema.name</c> or <c>name</c>.</summary>
    public string DisplayName => Schema is null ? Name : Schema + "." + Name;
}
