using DataPatterns.Caching;

namespace DataPatterns.Samples.Shop.Catalog;

/// <summary>The products cache's loader (lazy loading) and writer (write-through): the catalogue store behind the cache.</summary>
public sealed class ProductRepository(ICatalogStore store) : ICacheLoader<int, Product>, ICacheWriter<int, Product>
{
    /// <inheritdoc />
    public ValueTask<Product?> LoadAsync(int key, CancellationToken cancellationToken) => store.FindAsync(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask WriteAsync(int key, Product value, CancellationToken cancellationToken) => store.SaveAsync(value, cancellationToken);
}
