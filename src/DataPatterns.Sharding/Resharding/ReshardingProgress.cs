namespace DataPatterns.Sharding;

/// <summary>How far a bucket move has got, reported after each batch.</summary>
/// <param name="Table">The table being moved.</param>
/// <param name="From">The source shard of the current group.</param>
/// <param name="To">The destination shard of the current group.</param>
/// <param name="RowsCopied">Rows copied so far, over all groups.</param>
/// <param name="TotalRows">Rows to copy in all, counted before copying began.</param>
public sealed record ReshardingProgress(string Table, string From, string To, long RowsCopied, long TotalRows)
{
    /// <summary>The share done, 0 to 1.</summary>
    public double Fraction => TotalRows == 0 ? 1 : (double)RowsCopied / TotalRows;
}
