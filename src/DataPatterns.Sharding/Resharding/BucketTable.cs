namespace DataPatterns.Sharding;

/// <summary>
/// A table whose rows carry their virtual bucket in a column (filled from <see cref="BucketShardResolver{TKey}.BucketOf"/>
/// when the row is written, and indexed), which is what makes moving a bucket one indexed query.
/// </summary>
/// <param name="Name">The table name, as it must appear in SQL (quote it yourself if it needs quoting).</param>
/// <param name="BucketColumn">The integer column holding the row's bucket.</param>
/// <param name="Columns">The columns to copy (all columns of the table, bucket included).</param>
public sealed record BucketTable(string Name, string BucketColumn, IReadOnlyList<string> Columns);
