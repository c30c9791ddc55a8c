namespace DataPatterns.Caching.TestHost;

/// <summary>The row the crash test writes: one per order id.</summary>
public sealed record OrderRow(int Id, string Customer, decimal Total);
