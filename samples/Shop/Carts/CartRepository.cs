using DataPatterns.Caching;

namespace DataPatterns.Samples.Shop.Carts;

/// <summary>The carts cache's loader and write-back writer: a flush writes every queued cart in one transaction.</summary>
public sealed class CartRepository(ICartStore store) : ICacheLoader<long, Cart>, ICacheWriter<long, Cart>
{
    /// <inheritdoc />
    public ValueTask<Cart?> LoadAsync(long key, CancellationToken cancellationToken) => store.FindAsync(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask WriteAsync(long key, Cart value, CancellationToken cancellationToken) => store.SaveAsync([value], cancellationToken);

    /// <inheritdoc />
    public ValueTask WriteBatchAsync(IReadOnlyList<KeyValuePair<long, Cart>> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return store.SaveAsync([.. batch.Select(entry => entry.Value)], cancellationToken);
    }
}
