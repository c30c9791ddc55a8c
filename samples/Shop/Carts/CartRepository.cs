using DataPatterns.Caching;

namespace DataPatterns.Samples.Shop.Carts;

/// <summary>
/// The carts cache's loader and write-back writer: a flush writes every queued cart in one transaction, with its version,
/// so the database keeps the newest cart whichever instance flushes first.
/// </summary>
public sealed class CartRepository(ICartStore store) : ICacheLoader<long, Cart>, IVersionedCacheWriter<long, Cart>
{
    /// <inheritdoc />
    public ValueTask<Cart?> LoadAsync(long key, CancellationToken cancellationToken) => store.FindAsync(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask WriteAsync(long key, Cart value, CancellationToken cancellationToken) =>
        throw new NotSupportedException("carts are written back: their flush calls WriteVersionedBatchAsync.");

    /// <inheritdoc />
    public ValueTask WriteVersionedBatchAsync(IReadOnlyList<WriteBackEntry<long, Cart>> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return store.SaveAsync([.. batch.Select(entry => (entry.Value, entry.Version))], cancellationToken);
    }
}
